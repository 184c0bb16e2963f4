"""Django admin for the catalogue.

Datasets and their data dictionary are edited here by staff, with the same rules as the
services (the forms ask ``catalogue.services`` for problems). Pre-approved categories are
read-only here: their versions are immutable and cited by decisions, so the only writes are
"Add", "Write a new version" and "Retire", each a form that calls the service with the logged-in
user (who must be a data owner of the dataset's provider, as in the API). Nothing in the
catalogue can be deleted from the admin.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from access.models import User
from catalogue import services
from catalogue.models import (
    Dataset,
    OutputsAllowed,
    PreApprovedCategory,
    PreApprovedCategoryVersion,
    Purpose,
    Sensitivity,
    Variable,
)
from core.errors import DomainError


def _acting_user(request: HttpRequest) -> User:
    """The staff member using the admin (``admin_site.admin_view`` lets only them this far)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _add_problems(form: forms.BaseForm, problems: dict[str, list[str]]) -> None:
    for field, field_messages in problems.items():
        target = field if field in form.fields else None
        for message in field_messages:
            form.add_error(target, message)


class VariableInlineForm(forms.ModelForm):
    class Meta:
        model = Variable
        fields = ["name", "description", "data_type", "is_identifying", "is_sensitive_category"]

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # BaseModelForm._post_clean is not in the stubs
        # The form's values are on the instance now: check the services' rules on the result.
        if not self.errors:
            _add_problems(self, services.variable_problems(self.instance))


class VariableInline(admin.TabularInline):
    model = Variable
    form = VariableInlineForm
    extra = 0
    can_delete = False  # category versions cite variables; a deleted one would vanish from them
    fields = ["name", "description", "data_type", "is_identifying", "is_sensitive_category"]


class DatasetAdminForm(forms.ModelForm):
    class Meta:
        model = Dataset
        fields = ["slug", *services.DATASET_FIELDS]

    # Django 6 assumes https for scheme-less URLs; opt in now (this also silences the warning).
    synthetic_sample_url = forms.URLField(required=False, assume_scheme="https")

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # BaseModelForm._post_clean is not in the stubs
        if self.instance.provider_id:
            _add_problems(self, services.dataset_problems(self.instance))


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    form = DatasetAdminForm
    list_display = ["title", "slug", "provider", "sensitivity", "dea_gateway_permitted"]
    list_filter = ["provider", "sensitivity", "dea_gateway_permitted"]
    search_fields = ["title", "slug", "description", "variables__name"]
    autocomplete_fields = ["provider", "asset_owner", "primary_analyst", "backup_analyst"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [VariableInline]
    list_select_related = ["provider"]

    def get_readonly_fields(self, request, obj=None):
        # The slug is in URLs and citations: set once.
        return ["slug"] if obj is not None else []

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else self.prepopulated_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CategoryTermsForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea)
    permitted_purposes = forms.MultipleChoiceField(
        choices=Purpose.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    max_sensitivity = forms.ChoiceField(choices=Sensitivity.choices)
    all_non_identifying_variables = forms.BooleanField(required=False)
    permitted_variables = forms.ModelMultipleChoiceField(
        queryset=Variable.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    outputs_allowed = forms.ChoiceField(choices=OutputsAllowed.choices)
    conditions = forms.CharField(widget=forms.Textarea, required=False)
    valid_from = forms.DateField(help_text="YYYY-MM-DD")
    valid_until = forms.DateField(required=False, help_text="YYYY-MM-DD; empty for open-ended")

    def __init__(self, *args, dataset: Dataset | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        variables = Variable.objects.select_related("dataset").order_by("dataset__slug", "name")
        if dataset is not None:
            variables = variables.filter(dataset=dataset)
        field = self.fields["permitted_variables"]
        if not isinstance(field, forms.ModelMultipleChoiceField):
            raise TypeError("permitted_variables is a model multiple choice field")
        field.queryset = variables


class CategoryCreateForm(CategoryTermsForm):
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.order_by("title"))

    field_order = ["dataset"]


class CategoryRetireForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, help_text="Shown to researchers")


_VERSION_FIELDS = (
    "version",
    "title",
    "permitted_purposes",
    "max_sensitivity",
    "outputs_allowed",
    "valid_from",
    "valid_until",
    "created_by",
    "created_at",
)


class VersionInline(admin.TabularInline):
    model = PreApprovedCategoryVersion
    extra = 0
    can_delete = False
    show_change_link = False
    fields = _VERSION_FIELDS
    readonly_fields = _VERSION_FIELDS

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


_CATEGORY_FIELDS = (
    "dataset",
    "current_version",
    "created_by",
    "created_at",
    "retired_at",
    "retired_by",
    "retirement_reason",
    "write_actions",
)


@admin.register(PreApprovedCategory)
class PreApprovedCategoryAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "dataset", "current_version_number", "is_retired", "offered"]
    list_filter = ["dataset__provider", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["current_version__title", "dataset__title"]
    list_select_related = ["dataset", "current_version"]
    inlines = [VersionInline]
    fields = _CATEGORY_FIELDS
    readonly_fields = _CATEGORY_FIELDS

    @admin.display(description="title")
    def title(self, obj: PreApprovedCategory) -> str:
        return obj.current_version.title if obj.current_version else "—"

    @admin.display(description="version")
    def current_version_number(self, obj: PreApprovedCategory) -> int | None:
        return obj.current_version.version if obj.current_version else None

    @admin.display(boolean=True, description="retired")
    def is_retired(self, obj: PreApprovedCategory) -> bool:
        return obj.is_retired

    @admin.display(boolean=True, description="offered today")
    def offered(self, obj: PreApprovedCategory) -> bool:
        return obj.is_offered_on()

    @admin.display(description="changes")
    def write_actions(self, obj: PreApprovedCategory) -> str:
        if obj.pk is None or obj.is_retired:
            return "Retired: no further changes."
        return format_html(
            '<a class="button" href="{}">Write a new version</a> '
            '<a class="button" href="{}">Retire</a>',
            reverse("admin:catalogue_preapprovedcategory_revise", args=[obj.pk]),
            reverse("admin:catalogue_preapprovedcategory_retire", args=[obj.pk]),
        )

    # Versions are immutable and cited: view only, never deleted. Writes go through the
    # service views below, which check that the user is a data owner of the provider.
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def get_urls(self):
        own = [
            path(
                "<int:pk>/new-version/",
                self.admin_site.admin_view(self.revise_view),
                name="catalogue_preapprovedcategory_revise",
            ),
            path(
                "<int:pk>/retire/",
                self.admin_site.admin_view(self.retire_view),
                name="catalogue_preapprovedcategory_retire",
            ),
        ]
        return own + super().get_urls()

    def _render(self, request, form, title: str, obj=None) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": title,
            "original": obj,
        }
        return TemplateResponse(request, "admin/catalogue/category_service_form.html", context)

    def _done(self, request, category: PreApprovedCategory, message: str) -> HttpResponse:
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:catalogue_preapprovedcategory_change", args=[category.pk])
        )

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CategoryCreateForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                category = services.category_create(by=_acting_user(request), **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.detail)
                _add_problems(form, exc.fields)
            else:
                return self._done(request, category, "Category created (version 1).")
        return self._render(request, form, "Add a pre-approved category")

    def revise_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        category = get_object_or_404(
            PreApprovedCategory.objects.select_related("dataset", "current_version"), pk=pk
        )
        current = category.current
        initial = {name: getattr(current, name) for name in services.TERM_FIELDS}
        initial["permitted_variables"] = list(current.permitted_variables.all())
        form = CategoryTermsForm(
            request.POST if request.method == "POST" else None,
            initial=initial,
            dataset=category.dataset,
        )
        if request.method == "POST" and form.is_valid():
            try:
                category = services.category_revise(
                    category=category, by=_acting_user(request), **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(None, exc.detail)
                _add_problems(form, exc.fields)
            else:
                return self._done(
                    request,
                    category,
                    f"Version {category.current.version} written and made current.",
                )
        return self._render(
            request, form, f"New version of “{current.title}” (now v{current.version})", category
        )

    def retire_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        category = get_object_or_404(PreApprovedCategory, pk=pk)
        form = CategoryRetireForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                category = services.category_retire(
                    category=category, by=_acting_user(request), reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                form.add_error(None, exc.detail)
                _add_problems(form, exc.fields)
            else:
                return self._done(request, category, "Category retired.")
        return self._render(request, form, f"Retire “{category}”", category)
