"""Writes to the catalogue: datasets, their variables, and owners' pre-approved categories.

Every function takes the acting user (``by=``), checks ``access.policy`` itself, validates the
whole input before writing anything, and runs in one transaction. Validation failures raise
``ValidationFailed`` with a message per field and leave the database unchanged.

Pre-approved categories are append-only: ``category_create`` writes version 1,
``category_revise`` writes version N+1 and moves ``current_version``, ``category_retire`` stops
the category being offered. Nothing here deletes or edits a version, because decisions cite
``category_id@version`` and that text must never change under them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from access.models import Organisation, OrganisationMembership, Role, User
from catalogue.models import (
    Dataset,
    OutputsAllowed,
    PreApprovedCategory,
    PreApprovedCategoryVersion,
    Purpose,
    Sensitivity,
    Variable,
)
from catalogue.policies import check_manage_catalogue, check_manage_categories
from core.errors import InvalidTransition, ValidationFailed

# Coverage years outside this range are typing mistakes, not history.
EARLIEST_COVERAGE_YEAR = 1900
LATEST_COVERAGE_YEAR = 2100

_SLUG = re.compile(r"^[-a-z0-9_]+$")


class _Errors:
    """Collects field messages so one response names every problem at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self, detail: str = "The request has invalid fields.") -> None:
        if self.fields:
            raise ValidationFailed(detail, fields=self.fields)


def _full_clean(instance: Any, *, exclude: Iterable[str] = ()) -> None:
    """Model-level validation (lengths, URL and email formats, constraints) as a domain error.

    Runs after our own checks, as a backstop: anything it finds is still a 400, never a 500.
    """
    try:
        instance.full_clean(exclude=list(exclude))
    except DjangoValidationError as exc:
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        raise ValidationFailed("The request has invalid fields.", fields=fields) from exc


# --- Datasets and variables -----------------------------------------------------------------

DATASET_FIELDS = (
    "title",
    "description",
    "provider",
    "sensitivity",
    "coverage_start_year",
    "coverage_end_year",
    "population",
    "collection_method",
    "asset_owner",
    "asset_owner_contact",
    "primary_analyst",
    "backup_analyst",
    "dea_gateway_permitted",
    "holder_has_health_service_functions",
    "synthetic_sample_url",
)


def _validate_dataset(dataset: Dataset, errors: _Errors) -> None:
    """Rules a dataset must satisfy whatever route it was written by."""
    provider: Organisation | None = dataset.provider if dataset.provider_id else None
    if provider is not None and not provider.provides_data:
        errors.add("provider", f"{provider.name} is not registered as a data-providing body.")

    if dataset.sensitivity not in Sensitivity.values:
        errors.add(
            "sensitivity",
            f"Unknown sensitivity {dataset.sensitivity!r}; use one of "
            f"{', '.join(Sensitivity.values)}.",
        )

    for name in ("coverage_start_year", "coverage_end_year"):
        year = getattr(dataset, name)
        if year is not None and not EARLIEST_COVERAGE_YEAR <= year <= LATEST_COVERAGE_YEAR:
            errors.add(
                name,
                f"Give a year between {EARLIEST_COVERAGE_YEAR} and {LATEST_COVERAGE_YEAR}.",
            )
    start, end = dataset.coverage_start_year, dataset.coverage_end_year
    if start is not None and end is not None and end < start:
        errors.add(
            "coverage_end_year",
            f"Coverage cannot end ({end}) before it starts ({start}).",
        )

    if dataset.dea_gateway_permitted and dataset.holder_has_health_service_functions:
        holder = provider.name if provider is not None else "the holder"
        errors.add(
            "dea_gateway_permitted",
            f"The DEA research gateway cannot be used: {holder} has health-service functions, "
            "and the Digital Economy Act research power excludes data held by such bodies. "
            "Share it under a health-research gateway instead.",
        )

    for name in ("primary_analyst", "backup_analyst"):
        analyst = getattr(dataset, name) if getattr(dataset, f"{name}_id") else None
        if analyst is not None and not analyst.has_role(Role.ANALYST):
            errors.add(name, f"{analyst} is not an active data analyst.")
    if dataset.primary_analyst_id and dataset.primary_analyst_id == dataset.backup_analyst_id:
        errors.add("backup_analyst", "The backup analyst must be a different person.")

    if dataset.asset_owner_id and provider is not None:
        acts_for_provider = OrganisationMembership.objects.filter(
            user_id=dataset.asset_owner_id, organisation=provider
        ).exists()
        if not acts_for_provider:
            errors.add(
                "asset_owner",
                f"The information asset owner must act for the provider, {provider.name}.",
            )


def dataset_problems(dataset: Dataset) -> dict[str, list[str]]:
    """The rule violations of an (unsaved) dataset, per field; empty when it is fine.

    Used by the services below and by the admin form, so both apply the same rules.
    """
    errors = _Errors()
    _validate_dataset(dataset, errors)
    return errors.fields


@transaction.atomic
def dataset_create(
    *,
    by: User,
    slug: str,
    title: str,
    description: str,
    provider: Organisation,
    sensitivity: str,
    coverage_start_year: int | None = None,
    coverage_end_year: int | None = None,
    population: str = "",
    collection_method: str = "",
    asset_owner: User | None = None,
    asset_owner_contact: str = "",
    primary_analyst: User | None = None,
    backup_analyst: User | None = None,
    dea_gateway_permitted: bool = False,
    holder_has_health_service_functions: bool | None = None,
    synthetic_sample_url: str = "",
) -> Dataset:
    """Add a dataset to the catalogue.

    Before: ``by`` may manage the catalogue. After: the dataset exists with no variables.
    ``holder_has_health_service_functions`` defaults to the provider's own flag.
    """
    check_manage_catalogue(by)
    if holder_has_health_service_functions is None:
        holder_has_health_service_functions = provider.has_health_service_functions
    dataset = Dataset(
        slug=slug,
        title=title,
        description=description,
        provider=provider,
        sensitivity=sensitivity,
        coverage_start_year=coverage_start_year,
        coverage_end_year=coverage_end_year,
        population=population,
        collection_method=collection_method,
        asset_owner=asset_owner,
        asset_owner_contact=asset_owner_contact,
        primary_analyst=primary_analyst,
        backup_analyst=backup_analyst,
        dea_gateway_permitted=dea_gateway_permitted,
        holder_has_health_service_functions=holder_has_health_service_functions,
        synthetic_sample_url=synthetic_sample_url,
    )
    errors = _Errors()
    if not slug or not _SLUG.match(slug):
        errors.add("slug", "Use lower-case letters, digits, hyphens and underscores only.")
    elif Dataset.objects.filter(slug=slug).exists():
        errors.add("slug", f"A dataset with the slug {slug!r} already exists.")
    _validate_dataset(dataset, errors)
    errors.raise_if_any()
    _full_clean(dataset)
    dataset.save()
    return dataset


def _reject_unknown(changes: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationFailed(
            "These fields cannot be changed.",
            fields={name: ["This field cannot be changed."] for name in sorted(unknown)},
        )


@transaction.atomic
def dataset_update(*, dataset: Dataset, by: User, **changes: Any) -> Dataset:
    """Change a dataset's description, people or legal flags (never its slug, which is cited).

    Before: ``by`` may manage the catalogue. After: only the named fields changed, and the
    dataset as a whole still satisfies every rule (checked on the merged result).
    """
    check_manage_catalogue(by)
    _reject_unknown(changes, DATASET_FIELDS)
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    for name, value in changes.items():
        setattr(dataset, name, value)
    errors = _Errors()
    _validate_dataset(dataset, errors)
    errors.raise_if_any()
    _full_clean(dataset)
    dataset.save()
    return dataset


VARIABLE_FIELDS = ("name", "description", "data_type", "is_identifying", "is_sensitive_category")


def variable_problems(variable: Variable) -> dict[str, list[str]]:
    """The rule violations of an (unsaved) variable, per field; empty when it is fine.

    Includes the rule that a variable permitted by a category in force cannot become
    identifying. Used by the services below and by the admin's data-dictionary inline.
    """
    errors = _Errors()
    _validate_variable(variable, errors)
    return errors.fields


def _validate_variable(variable: Variable, errors: _Errors) -> None:
    if not variable.name or not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", variable.name):
        errors.add(
            "name",
            "Start with a letter and use letters, digits and underscores only, "
            "as in the data dictionary.",
        )
    elif (
        Variable.objects.filter(dataset_id=variable.dataset_id, name=variable.name)
        .exclude(pk=variable.pk)
        .exists()
    ):
        errors.add("name", f"This dataset already has a variable called {variable.name!r}.")
    if variable.data_type not in Variable.DataType.values:
        errors.add(
            "data_type",
            f"Unknown data type {variable.data_type!r}; use one of "
            f"{', '.join(Variable.DataType.values)}.",
        )
    if variable.is_identifying and variable.pk is not None:
        citing = (
            PreApprovedCategory.objects.not_retired()
            .filter(current_version__permitted_variables=variable)
            .select_related("current_version")
        )
        titles = [c.current_version.title for c in citing if c.current_version]
        if titles:
            errors.add(
                "is_identifying",
                "This variable is permitted by the pre-approved "
                f"{'category' if len(titles) == 1 else 'categories'} "
                f"{', '.join(repr(t) for t in titles)}, and a category may not cover identifying "
                "variables. Ask the data owner to revise or retire it first.",
            )


@transaction.atomic
def variable_create(
    *,
    dataset: Dataset,
    by: User,
    name: str,
    data_type: str,
    description: str = "",
    is_identifying: bool = False,
    is_sensitive_category: bool = False,
) -> Variable:
    """Add a variable to a dataset's data dictionary. Before: ``by`` may manage the catalogue."""
    check_manage_catalogue(by)
    variable = Variable(
        dataset=dataset,
        name=name,
        data_type=data_type,
        description=description,
        is_identifying=is_identifying,
        is_sensitive_category=is_sensitive_category,
    )
    errors = _Errors()
    _validate_variable(variable, errors)
    errors.raise_if_any()
    _full_clean(variable, exclude=["dataset"])
    variable.save()
    return variable


@transaction.atomic
def variable_update(*, variable: Variable, by: User, **changes: Any) -> Variable:
    """Change a variable's entry in the data dictionary (never the dataset it belongs to).

    A variable named in the current terms of a category that is still in force cannot be
    marked identifying: that would put an identifying variable inside a pre-approved category
    without its data owner deciding so. The owner must revise or retire the category first.
    """
    check_manage_catalogue(by)
    _reject_unknown(changes, VARIABLE_FIELDS)
    variable = Variable.objects.select_for_update().get(pk=variable.pk)
    for name, value in changes.items():
        setattr(variable, name, value)
    errors = _Errors()
    _validate_variable(variable, errors)
    errors.raise_if_any()
    _full_clean(variable, exclude=["dataset"])
    variable.save()
    return variable


# --- Pre-approved categories ----------------------------------------------------------------

TERM_FIELDS = (
    "title",
    "description",
    "permitted_purposes",
    "max_sensitivity",
    "all_non_identifying_variables",
    "permitted_variables",
    "outputs_allowed",
    "conditions",
    "valid_from",
    "valid_until",
)


def _validated_terms(*, dataset: Dataset, terms: Mapping[str, Any]) -> dict[str, Any]:
    """Check a full set of category terms; return them normalised (purposes deduplicated,
    variables as a list). Raises ``ValidationFailed`` naming every bad field."""
    errors = _Errors()

    title = (terms["title"] or "").strip()
    if not title:
        errors.add("title", "Give the category a title.")
    description = (terms["description"] or "").strip()
    if not description:
        errors.add("description", "Describe the uses this category covers.")

    purposes = terms["permitted_purposes"]
    if not isinstance(purposes, list | tuple) or not purposes:
        errors.add("permitted_purposes", "Name at least one permitted purpose.")
        purposes = []
    else:
        unknown = [p for p in purposes if p not in Purpose.values]
        if unknown:
            errors.add(
                "permitted_purposes",
                f"Unknown purpose code{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(str(p)) for p in unknown)}; known codes are "
                f"{', '.join(Purpose.values)}.",
            )
        # Keep the owner's order, drop repeats.
        purposes = list(dict.fromkeys(p for p in purposes if p in Purpose.values))

    if terms["max_sensitivity"] not in Sensitivity.values:
        errors.add(
            "max_sensitivity",
            f"Unknown sensitivity {terms['max_sensitivity']!r}; use one of "
            f"{', '.join(Sensitivity.values)}.",
        )
    if terms["outputs_allowed"] not in OutputsAllowed.values:
        errors.add(
            "outputs_allowed",
            f"Unknown outputs setting {terms['outputs_allowed']!r}; use one of "
            f"{', '.join(OutputsAllowed.values)}.",
        )

    valid_from, valid_until = terms["valid_from"], terms["valid_until"]
    if not isinstance(valid_from, datetime.date):
        errors.add("valid_from", "Give the date the category starts to apply.")
    elif valid_until is not None and valid_until < valid_from:
        errors.add(
            "valid_until",
            f"The category cannot end ({valid_until}) before it starts ({valid_from}).",
        )

    variables = list(dict.fromkeys(terms["permitted_variables"] or ()))
    all_non_identifying = bool(terms["all_non_identifying_variables"])
    if variables and all_non_identifying:
        errors.add(
            "permitted_variables",
            "Either list the permitted variables or permit all non-identifying variables, "
            "not both.",
        )
    elif not variables and not all_non_identifying:
        errors.add(
            "permitted_variables",
            "List the permitted variables, or permit all non-identifying variables.",
        )
    foreign = [v.name for v in variables if v.dataset_id != dataset.pk]
    if foreign:
        errors.add(
            "permitted_variables",
            f"Not in {dataset.title}: {', '.join(sorted(foreign))}. A category can only permit "
            "variables of its own dataset.",
        )
    identifying = [v.name for v in variables if v.dataset_id == dataset.pk and v.is_identifying]
    if identifying:
        errors.add(
            "permitted_variables",
            f"Identifying: {', '.join(sorted(identifying))}. A pre-approved category lets a "
            "project skip the data owner's sign-off, so it cannot cover variables that could "
            "identify a person; projects that need them go to the data owner.",
        )

    errors.raise_if_any()
    return {
        "title": title,
        "description": description,
        "permitted_purposes": purposes,
        "max_sensitivity": terms["max_sensitivity"],
        "all_non_identifying_variables": all_non_identifying,
        "permitted_variables": variables,
        "outputs_allowed": terms["outputs_allowed"],
        "conditions": (terms["conditions"] or "").strip(),
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


def _write_version(
    *, category: PreApprovedCategory, number: int, by: User, terms: dict[str, Any]
) -> PreApprovedCategoryVersion:
    variables = terms.pop("permitted_variables")
    version = PreApprovedCategoryVersion(category=category, version=number, created_by=by, **terms)
    _full_clean(version, exclude=["category", "created_by", "permitted_variables"])
    version.save()
    version.permitted_variables.set(variables)
    category.current_version = version
    category.save(update_fields=["current_version"])
    return version


@transaction.atomic
def category_create(
    *,
    dataset: Dataset,
    by: User,
    title: str,
    description: str,
    permitted_purposes: list[str],
    max_sensitivity: str,
    all_non_identifying_variables: bool = False,
    permitted_variables: Iterable[Variable] = (),
    outputs_allowed: str,
    conditions: str = "",
    valid_from: datetime.date,
    valid_until: datetime.date | None = None,
) -> PreApprovedCategory:
    """Create a pre-approved category with its version 1.

    Before: ``by`` is a data owner of the dataset's provider; the terms are valid.
    After: the category exists, ``current_version`` is version 1.
    """
    check_manage_categories(by, dataset)
    terms = _validated_terms(
        dataset=dataset,
        terms={
            "title": title,
            "description": description,
            "permitted_purposes": permitted_purposes,
            "max_sensitivity": max_sensitivity,
            "all_non_identifying_variables": all_non_identifying_variables,
            "permitted_variables": permitted_variables,
            "outputs_allowed": outputs_allowed,
            "conditions": conditions,
            "valid_from": valid_from,
            "valid_until": valid_until,
        },
    )
    category = PreApprovedCategory.objects.create(dataset=dataset, created_by=by)
    _write_version(category=category, number=1, by=by, terms=terms)
    return category


@transaction.atomic
def category_revise(
    *, category: PreApprovedCategory, by: User, **changes: Any
) -> PreApprovedCategory:
    """Write version N+1 of a category's terms and make it current.

    ``changes`` are any of the terms of ``category_create``; terms not given are carried over
    from the current version, so a revision is always a complete, self-standing text.
    Before: ``by`` is a data owner of the dataset's provider; the category is not retired.
    After: a new version exists and is current; every earlier version is unchanged.
    """
    unknown = set(changes) - set(TERM_FIELDS)
    if unknown:
        raise ValidationFailed(
            "These are not terms of a category.",
            fields={name: ["Not a term of a category."] for name in sorted(unknown)},
        )
    # Lock the category so two revisions cannot both become version N+1.
    category = (
        PreApprovedCategory.objects.select_for_update(of=("self",))
        .select_related("dataset__provider", "current_version")
        .get(pk=category.pk)
    )
    check_manage_categories(by, category.dataset)
    if category.is_retired:
        raise InvalidTransition(
            "This category is retired and cannot be revised; create a new category instead.",
            state="retired",
        )
    current = category.current
    base: dict[str, Any] = {name: getattr(current, name) for name in TERM_FIELDS}
    base["permitted_variables"] = list(current.permitted_variables.all())
    if changes.get("all_non_identifying_variables") and "permitted_variables" not in changes:
        # Switching to "all non-identifying" replaces the carried-over list, not joins it.
        base["permitted_variables"] = []
    base.update(changes)
    terms = _validated_terms(dataset=category.dataset, terms=base)
    number = (category.versions.aggregate(last=Max("version"))["last"] or 0) + 1
    _write_version(category=category, number=number, by=by, terms=terms)
    return category


@transaction.atomic
def category_retire(*, category: PreApprovedCategory, by: User, reason: str) -> PreApprovedCategory:
    """Stop offering a category. Its versions stay readable and citable.

    Before: ``by`` is a data owner of the dataset's provider; the category is not retired;
    a reason is given. After: ``retired_at``/``retired_by``/``retirement_reason`` are set.
    """
    category = (
        PreApprovedCategory.objects.select_for_update(of=("self",))
        .select_related("dataset__provider")
        .get(pk=category.pk)
    )
    check_manage_categories(by, category.dataset)
    if category.is_retired:
        raise InvalidTransition("This category is already retired.", state="retired")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the category is retired.",
            fields={"reason": ["Say why the category is retired; it is shown to researchers."]},
        )
    category.retired_at = timezone.now()
    category.retired_by = by
    category.retirement_reason = reason
    category.save(update_fields=["retired_at", "retired_by", "retirement_reason"])
    return category
