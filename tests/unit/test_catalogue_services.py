import datetime

import pytest

from access.models import Organisation, Role
from catalogue import services
from catalogue.models import (
    CitedRowError,
    Dataset,
    PreApprovedCategory,
    PreApprovedCategoryVersion,
    Purpose,
    Sensitivity,
    Variable,
)
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from tests.factories import DatasetFactory, OrganisationFactory, make_category, make_user

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)


def _variables(dataset, *names):
    return [dataset.variables.get(name=name) for name in names]


# --- Categories: versions ---------------------------------------------------------------------


def test_category_create_writes_version_one_as_current(dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a, title="School outcomes")
    category.refresh_from_db()
    assert category.current_version.version == 1
    assert category.current_version.title == "School outcomes"
    assert category.current_version.citation == f"{category.pk}@1"
    assert category.versions.count() == 1


def test_category_revise_writes_next_version_and_leaves_old_unchanged(dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a, title="School outcomes")
    services.category_revise(
        category=category,
        by=owner_a,
        title="School outcomes (aggregate)",
        all_non_identifying_variables=False,
        permitted_variables=_variables(dataset_a, "school_year"),
    )
    category.refresh_from_db()
    old, new = category.versions.order_by("version")
    assert (old.version, old.title, old.all_non_identifying_variables) == (
        1,
        "School outcomes",
        True,
    )
    assert list(old.permitted_variables.all()) == []
    assert (new.version, new.title) == (2, "School outcomes (aggregate)")
    assert [v.name for v in new.permitted_variables.all()] == ["school_year"]
    assert category.current_version == new


def test_category_revise_carries_over_terms_not_given(dataset_a, owner_a):
    category = make_category(
        dataset=dataset_a, by=owner_a, conditions="Cite the provider.", valid_until=None
    )
    services.category_revise(category=category, by=owner_a, title="Renamed")
    category.refresh_from_db()
    assert category.current_version.conditions == "Cite the provider."
    assert category.current_version.permitted_purposes == [Purpose.HEALTH_RESEARCH]
    assert category.current_version.version == 2


def test_category_revise_retired_category_is_refused(dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    services.category_retire(category=category, by=owner_a, reason="Superseded")
    with pytest.raises(InvalidTransition):
        services.category_revise(category=category, by=owner_a, title="Too late")
    assert category.versions.count() == 1


def test_category_retire_stops_offering_but_keeps_versions(dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    assert PreApprovedCategory.objects.offered_on(TODAY).filter(pk=category.pk).exists()
    services.category_retire(category=category, by=owner_a, reason="Provider agreement ended")
    category.refresh_from_db()
    assert category.is_retired
    assert category.retired_by == owner_a
    assert category.retirement_reason == "Provider agreement ended"
    assert not PreApprovedCategory.objects.offered_on(TODAY).filter(pk=category.pk).exists()
    assert category.versions.count() == 1


def test_category_retire_twice_is_refused(dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    services.category_retire(category=category, by=owner_a, reason="Superseded")
    with pytest.raises(InvalidTransition):
        services.category_retire(category=category, by=owner_a, reason="Again")


def test_category_retire_without_reason_is_refused(dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    with pytest.raises(ValidationFailed) as exc:
        services.category_retire(category=category, by=owner_a, reason="  ")
    assert "reason" in exc.value.fields
    category.refresh_from_db()
    assert not category.is_retired


def test_category_offered_on_respects_validity_dates(dataset_a, owner_a):
    expired = make_category(
        dataset=dataset_a,
        by=owner_a,
        valid_from=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2025, 12, 31),
    )
    future = make_category(dataset=dataset_a, by=owner_a, valid_from=datetime.date(2027, 1, 1))
    current = make_category(dataset=dataset_a, by=owner_a)
    offered = set(PreApprovedCategory.objects.offered_on(TODAY))
    assert offered == {current}
    assert not expired.is_offered_on(TODAY)
    assert not future.is_offered_on(TODAY)


def test_category_version_cannot_be_edited_or_deleted(dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    version = category.current_version
    version.title = "Rewritten history"
    with pytest.raises(CitedRowError):
        version.save()
    with pytest.raises(CitedRowError):
        PreApprovedCategoryVersion.objects.filter(pk=version.pk).update(title="Rewritten")
    with pytest.raises(CitedRowError):
        version.delete()
    with pytest.raises(CitedRowError):
        category.delete()
    with pytest.raises(CitedRowError):
        PreApprovedCategory.objects.all().delete()
    assert PreApprovedCategoryVersion.objects.get(pk=version.pk).title != "Rewritten history"


# --- Categories: who may ----------------------------------------------------------------------


def test_category_create_by_owner_of_another_provider_is_refused(dataset_b, owner_a):
    with pytest.raises(NotAllowed):
        make_category(dataset=dataset_b, by=owner_a)
    assert not PreApprovedCategory.objects.exists()


def test_category_revise_by_owner_of_another_provider_is_refused(dataset_b, owner_a, owner_b):
    category = make_category(dataset=dataset_b, by=owner_b)
    with pytest.raises(NotAllowed):
        services.category_revise(category=category, by=owner_a, title="Hijacked")
    with pytest.raises(NotAllowed):
        services.category_retire(category=category, by=owner_a, reason="Hijacked")
    category.refresh_from_db()
    assert category.versions.count() == 1
    assert not category.is_retired


def test_category_create_by_data_owner_member_without_role_is_refused(dataset_a, provider_a):
    # Membership alone is not enough: the global data-owner role is needed too.
    member = make_user(Role.RESEARCHER, data_owner_of=provider_a)
    with pytest.raises(NotAllowed):
        make_category(dataset=dataset_a, by=member)


# --- Categories: validation -------------------------------------------------------------------


def _bad_terms(dataset_a, dataset_b):
    """Each case: (terms that break one rule, the field that must be named)."""
    return {
        "unknown purpose": ({"permitted_purposes": ["marketing"]}, "permitted_purposes"),
        "no purposes": ({"permitted_purposes": []}, "permitted_purposes"),
        "ends before start": (
            {"valid_from": datetime.date(2025, 1, 1), "valid_until": datetime.date(2024, 1, 1)},
            "valid_until",
        ),
        "variable of another dataset": (
            {
                "all_non_identifying_variables": False,
                "permitted_variables": list(dataset_b.variables.all()),
            },
            "permitted_variables",
        ),
        "variables and all non-identifying": (
            {
                "all_non_identifying_variables": True,
                "permitted_variables": _variables(dataset_a, "school_year"),
            },
            "permitted_variables",
        ),
        "identifying variable": (
            {
                "all_non_identifying_variables": False,
                "permitted_variables": _variables(dataset_a, "postcode"),
            },
            "permitted_variables",
        ),
        "no variables at all": (
            {"all_non_identifying_variables": False, "permitted_variables": []},
            "permitted_variables",
        ),
        "unknown sensitivity": ({"max_sensitivity": "secret"}, "max_sensitivity"),
        "blank title": ({"title": "  "}, "title"),
    }


CASES = [
    "unknown purpose",
    "no purposes",
    "ends before start",
    "variable of another dataset",
    "variables and all non-identifying",
    "identifying variable",
    "no variables at all",
    "unknown sensitivity",
    "blank title",
]


@pytest.mark.parametrize("case", CASES)
def test_category_create_with_bad_terms_names_the_field_and_writes_nothing(
    case, dataset_a, dataset_b, owner_a
):
    terms, field = _bad_terms(dataset_a, dataset_b)[case]
    with pytest.raises(ValidationFailed) as exc:
        make_category(dataset=dataset_a, by=owner_a, **terms)
    assert field in exc.value.fields
    assert exc.value.fields[field][0]
    assert not PreApprovedCategory.objects.exists()
    assert not PreApprovedCategoryVersion.objects.exists()


@pytest.mark.parametrize("case", CASES)
def test_category_revise_with_bad_terms_names_the_field_and_writes_nothing(
    case, dataset_a, dataset_b, owner_a
):
    category = make_category(dataset=dataset_a, by=owner_a)
    terms, field = _bad_terms(dataset_a, dataset_b)[case]
    with pytest.raises(ValidationFailed) as exc:
        services.category_revise(category=category, by=owner_a, **terms)
    assert field in exc.value.fields
    category.refresh_from_db()
    assert category.current_version.version == 1
    assert category.versions.count() == 1


def test_category_identifying_variable_message_says_why(dataset_a, owner_a):
    with pytest.raises(ValidationFailed) as exc:
        make_category(
            dataset=dataset_a,
            by=owner_a,
            all_non_identifying_variables=False,
            permitted_variables=_variables(dataset_a, "postcode"),
        )
    message = exc.value.fields["permitted_variables"][0]
    assert "postcode" in message
    assert "sign-off" in message


def test_category_purposes_are_deduplicated_in_order(dataset_a, owner_a):
    category = make_category(
        dataset=dataset_a,
        by=owner_a,
        permitted_purposes=[Purpose.PUBLIC_POLICY, Purpose.HEALTH_RESEARCH, Purpose.PUBLIC_POLICY],
    )
    assert category.current_version.permitted_purposes == ["public_policy", "health_research"]


# --- Datasets and variables -------------------------------------------------------------------


def _dataset_terms(provider, **overrides):
    terms = {
        "slug": "new-dataset",
        "title": "New dataset",
        "description": "Something held.",
        "provider": provider,
        "sensitivity": Sensitivity.PSEUDONYMISED,
    }
    terms.update(overrides)
    return terms


def test_dataset_create_by_ops_takes_holder_flag_from_provider(ops, provider_b):
    dataset = services.dataset_create(by=ops, **_dataset_terms(provider_b))
    assert dataset.holder_has_health_service_functions is True


def test_dataset_create_dea_for_health_service_holder_is_400(ops, provider_b):
    with pytest.raises(ValidationFailed) as exc:
        services.dataset_create(by=ops, **_dataset_terms(provider_b, dea_gateway_permitted=True))
    message = exc.value.fields["dea_gateway_permitted"][0]
    assert "Digital Health and Care Wales" in message
    assert "health-service functions" in message
    assert not Dataset.objects.exists()


def test_dataset_create_coverage_end_before_start_is_400(ops, provider_a):
    with pytest.raises(ValidationFailed) as exc:
        services.dataset_create(
            by=ops,
            **_dataset_terms(provider_a, coverage_start_year=2010, coverage_end_year=2005),
        )
    assert "coverage_end_year" in exc.value.fields
    assert not Dataset.objects.exists()


def test_dataset_create_by_researcher_is_refused(researcher, provider_a):
    with pytest.raises(NotAllowed):
        services.dataset_create(by=researcher, **_dataset_terms(provider_a))
    assert not Dataset.objects.exists()


def test_dataset_create_checks_people_and_provider(ops, analyst):
    university = OrganisationFactory(kind=Organisation.Kind.RESEARCH, name="Swansea University")
    not_an_analyst = make_user(Role.RESEARCHER)
    with pytest.raises(ValidationFailed) as exc:
        services.dataset_create(
            by=ops,
            **_dataset_terms(
                university,
                primary_analyst=not_an_analyst,
                backup_analyst=not_an_analyst,
                asset_owner=not_an_analyst,
            ),
        )
    assert set(exc.value.fields) >= {"provider", "primary_analyst", "backup_analyst"}


def test_dataset_create_duplicate_slug_is_400(ops, provider_a, dataset_a):
    with pytest.raises(ValidationFailed) as exc:
        services.dataset_create(by=ops, **_dataset_terms(provider_a, slug=dataset_a.slug))
    assert "slug" in exc.value.fields


def test_dataset_update_dea_for_health_service_holder_is_400(ops, dataset_b):
    with pytest.raises(ValidationFailed) as exc:
        services.dataset_update(dataset=dataset_b, by=ops, dea_gateway_permitted=True)
    assert "dea_gateway_permitted" in exc.value.fields
    dataset_b.refresh_from_db()
    assert dataset_b.dea_gateway_permitted is False


def test_dataset_update_slug_cannot_change(ops, dataset_a):
    with pytest.raises(ValidationFailed) as exc:
        services.dataset_update(dataset=dataset_a, by=ops, slug="renamed")
    assert "slug" in exc.value.fields


def test_dataset_update_changes_only_named_fields(ops, dataset_a, analyst):
    services.dataset_update(
        dataset=dataset_a, by=ops, population="Pupils in Wales", primary_analyst=analyst
    )
    dataset_a.refresh_from_db()
    assert dataset_a.population == "Pupils in Wales"
    assert dataset_a.primary_analyst == analyst
    assert dataset_a.dea_gateway_permitted is True


def test_variable_create_duplicate_name_is_400(ops, dataset_a):
    with pytest.raises(ValidationFailed) as exc:
        services.variable_create(
            dataset=dataset_a, by=ops, name="postcode", data_type=Variable.DataType.STRING
        )
    assert "name" in exc.value.fields


def test_variable_update_identifying_while_permitted_by_category_is_400(ops, dataset_a, owner_a):
    school_year = dataset_a.variables.get(name="school_year")
    make_category(
        dataset=dataset_a,
        by=owner_a,
        title="Attainment trends",
        all_non_identifying_variables=False,
        permitted_variables=[school_year],
    )
    with pytest.raises(ValidationFailed) as exc:
        services.variable_update(variable=school_year, by=ops, is_identifying=True)
    assert "Attainment trends" in exc.value.fields["is_identifying"][0]
    school_year.refresh_from_db()
    assert school_year.is_identifying is False


def test_variable_update_by_researcher_is_refused(researcher, dataset_a):
    variable = dataset_a.variables.first()
    with pytest.raises(NotAllowed):
        services.variable_update(variable=variable, by=researcher, description="Mine now")


def test_dataset_metadata_completeness_counts_filled_fields(provider_a):
    dataset = DatasetFactory(provider=provider_a)
    assert 0 < dataset.metadata_completeness() < 50


def test_category_revise_to_all_non_identifying_drops_the_carried_over_list(dataset_a, owner_a):
    category = make_category(
        dataset=dataset_a,
        by=owner_a,
        all_non_identifying_variables=False,
        permitted_variables=_variables(dataset_a, "school_year"),
    )
    services.category_revise(category=category, by=owner_a, all_non_identifying_variables=True)
    category.refresh_from_db()
    assert category.current_version.all_non_identifying_variables is True
    assert list(category.current_version.permitted_variables.all()) == []
    assert [v.name for v in category.versions.get(version=1).permitted_variables.all()] == [
        "school_year"
    ]
