"""Catalogue pages: the public catalogue, and a data owner's datasets and pre-approved
categories. Reads come from the selectors, writes from ``catalogue.services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from catalogue import selectors, services
from catalogue.forms import CategoryForm, DatasetSearchForm, RetireForm
from catalogue.models import Dataset, PreApprovedCategory
from catalogue.policies import can_manage_categories
from core.errors import ValidationFailed
from core.web import apply_domain_errors, error_items

# --- public ----------------------------------------------------------------------------------


def dataset_list(request):
    form = DatasetSearchForm(request.GET or None)
    datasets = selectors.datasets_list()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        datasets = selectors.datasets_search(datasets, data["q"])
        if data["provider"]:
            datasets = datasets.filter(provider=data["provider"])
        if data["sensitivity"]:
            datasets = datasets.filter(sensitivity=data["sensitivity"])
        if data["pre_approved"]:
            datasets = datasets.filter(has_pre_approved_category=True)
        if data["dea"]:
            datasets = datasets.filter(dea_gateway_permitted=True)
    page = Paginator(datasets.order_by("title"), 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalogue/dataset_list.html",
        {"title": "Data catalogue", "form": form, "page": page, "query": query.urlencode()},
    )


def dataset_detail(request, slug: str):
    dataset = get_object_or_404(selectors.datasets_list(), slug=slug)
    years = ""
    if dataset.coverage_start_year:
        years = f"{dataset.coverage_start_year} to {dataset.coverage_end_year or 'now'}"
    analysts = [
        f"{person.full_name}{label}"
        for person, label in (
            (dataset.primary_analyst, ""),
            (dataset.backup_analyst, " (backup)"),
        )
        if person is not None
    ]
    return render(
        request,
        "catalogue/dataset_detail.html",
        {
            "title": dataset.title,
            "dataset": dataset,
            "variables": dataset.variables.all(),
            "years": years,
            "analysts": ", ".join(analysts),
        },
    )


# --- data owners -----------------------------------------------------------------------------


def _require_owner(request) -> None:
    if not can_manage_categories(request.user):
        raise PermissionDenied("Only data owners manage pre-approved categories.")


def _owned_dataset(request, slug: str) -> Dataset:
    _require_owner(request)
    return get_object_or_404(selectors.datasets_owned_by(request.user), slug=slug)


def _owned_category(request, pk: int) -> PreApprovedCategory:
    _require_owner(request)
    owned = selectors.datasets_owned_by(request.user)
    return get_object_or_404(
        PreApprovedCategory.objects.select_related("dataset__provider", "current_version"),
        pk=pk,
        dataset__in=owned,
    )


@login_required
def owner_datasets(request):
    _require_owner(request)
    return render(
        request,
        "catalogue/owner_datasets.html",
        {"title": "My datasets", "datasets": selectors.datasets_owned_by(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_new(request, slug: str):
    dataset = _owned_dataset(request, slug)
    form = CategoryForm(request.POST if request.method == "POST" else None, dataset=dataset)
    if request.method == "POST" and form.is_valid():
        try:
            category = services.category_create(dataset=dataset, by=request.user, **form.terms())
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {"all_non_identifying_variables": "variables_mode"})
        else:
            messages.success(request, "The category is offered from its start date.")
            return redirect("catalogue:category-detail", pk=category.pk)
    return _category_form_page(request, form, dataset, f"New category for {dataset.title}")


@login_required
@require_http_methods(["GET", "POST"])
def category_revise(request, pk: int):
    category = _owned_category(request, pk)
    form = CategoryForm(
        request.POST if request.method == "POST" else None,
        dataset=category.dataset,
        initial=CategoryForm.initial_from(category.current),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.category_revise(category=category, by=request.user, **form.terms())
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {"all_non_identifying_variables": "variables_mode"})
        else:
            messages.success(request, "A new version of the category is now in force.")
            return redirect("catalogue:category-detail", pk=category.pk)
    title = f"Revise ‘{category.current.title}’"
    return _category_form_page(request, form, category.dataset, title, category=category)


def _category_form_page(request, form, dataset, title, category=None):
    return render(
        request,
        "catalogue/category_form.html",
        {
            "title": title,
            "form": form,
            "dataset": dataset,
            "category": category,
            "error_items": error_items(form),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def category_detail(request, pk: int):
    category = _owned_category(request, pk)
    versions = selectors.category_versions(category=category).order_by("-version")
    return render(
        request,
        "catalogue/category_detail.html",
        {
            "title": category.current.title,
            "category": category,
            "versions": versions,
            "retire_form": RetireForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_retire(request, pk: int):
    category = _owned_category(request, pk)
    form = RetireForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_retire(
                category=category, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "The category is retired. Earlier decisions still cite it.")
            return redirect("catalogue:category-detail", pk=category.pk)
    return render(
        request,
        "catalogue/category_retire.html",
        {
            "title": f"Retire ‘{category.current.title}’",
            "category": category,
            "form": form,
            "error_items": error_items(form),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
