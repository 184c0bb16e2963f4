"""The public data-use register (no login) and a project's outputs page (its members).

The register pages read only ``RegisterEntry`` rows and output links: nothing private is in
reach of these templates.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import condition, require_http_methods

from access.models import Organisation
from catalogue.models import Dataset
from core.errors import NotAllowed, ValidationFailed
from core.forms import Form
from core.web import apply_domain_errors, done, error_items, throttled_when_anonymous
from workflow.models import OutputKind, RegisterEntry, RegisterStatus
from workflow.pages import get_application
from workflow.transparency import selectors as selectors
from workflow.transparency import services as register_services
from workflow.transparency.policies import can_add_output


class RegisterFilterForm(Form):
    dataset = forms.ModelChoiceField(
        label="Dataset",
        queryset=Dataset.objects.order_by("title"),
        required=False,
        empty_label="Any dataset",
        to_field_name="slug",
    )
    organisation = forms.ModelChoiceField(
        label="Organisation",
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label="Any organisation",
        to_field_name="slug",
    )
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *RegisterStatus.choices], required=False
    )
    year = forms.IntegerField(
        label="Year of decision", required=False, min_value=2000, max_value=2100
    )


def _page_etag(request, *args, **kwargs) -> str:
    """The register's pages change with the register, the address and who is signed in."""
    return selectors.register_etag(
        selectors.register_last_change(),
        request.get_full_path(),
        getattr(request.user, "pk", None),
    )


@throttled_when_anonymous
@condition(etag_func=_page_etag)
def register_list(request):
    form = RegisterFilterForm(request.GET or None)
    # The list shows no outputs (an entry's page does): none read for it.
    entries = selectors.register_entries().prefetch_related(None)
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            entries = selectors.register_filter(
                entries,
                dataset=data["dataset"].slug if data["dataset"] else None,
                organisation=data["organisation"].slug if data["organisation"] else None,
                status=data["status"] or None,
                year=data["year"],
            )
        else:
            entries = RegisterEntry.objects.none()
            status = 400
    page = Paginator(entries, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    csv_url = reverse("v1:register-csv") + (f"?{query.urlencode()}" if query else "")
    return render(
        request,
        "workflow/register/list.html",
        {
            "title": "Data-use register",
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "csv_url": csv_url,
            "error_items": error_items(form),
        },
        status=status,
    )


@throttled_when_anonymous
@condition(etag_func=_page_etag)
def register_entry(request, reference: str):
    entry = get_object_or_404(selectors.register_entries(), reference=reference)
    return render(
        request,
        "workflow/register/entry.html",
        {
            "title": entry.title or entry.reference,
            "entry": entry,
            "outputs": selectors.outputs_of(entry),
        },
    )


class OutputForm(Form):
    kind = forms.ChoiceField(label="What is it?", choices=OutputKind.choices)
    title = forms.CharField(label="Title", max_length=300)
    url = forms.URLField(
        label="Web address", max_length=500, assume_scheme="https", help_text="Starting https://"
    )


@login_required
@require_http_methods(["GET", "POST"])
def outputs(request, pk: int):
    application = get_application(request, pk)
    if not can_add_output(request.user, application):
        raise NotAllowed("Members of an active or closed project add its outputs.")
    form = OutputForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            register_services.project_output_add(
                application=application, by=request.user, **form.cleaned_data
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Output added. It is on the public register now.")
            return done(request, reverse("workflow:outputs", args=[application.pk]))
    entry = RegisterEntry.objects.filter(application=application).first()
    return render(
        request,
        "workflow/register/outputs.html",
        {
            "title": f"Outputs of {application.title}",
            "application": application,
            "outputs": application.outputs.select_related("added_by"),
            "form": form,
            "entry": entry,
            "error_items": error_items(form),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
