import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import Role
from catalogue.models import Dataset, PreApprovedCategory, PreApprovedCategoryVersion, Variable
from catalogue.services import category_retire
from tests.factories import DatasetFactory, VariableFactory, make_category, make_user

pytestmark = pytest.mark.django_db

DATASETS = "/api/v1/datasets/"
VARIABLES = "/api/v1/variables/"
CATEGORIES = "/api/v1/pre-approved-categories/"


def _category_body(target, **overrides):
    body = {
        "dataset": target.slug,
        "title": "Attainment trends",
        "description": "Aggregate analysis of attainment over time.",
        "permitted_purposes": ["public_policy", "social_economic_trends"],
        "max_sensitivity": "pseudonymised",
        "all_non_identifying_variables": True,
        "outputs_allowed": "aggregate_only",
        "valid_from": "2024-01-01",
    }
    body.update(overrides)
    return body


def _dataset_body(provider, **overrides):
    body = {
        "slug": "school-census",
        "title": "School census",
        "description": "Pupil-level census of maintained schools.",
        "provider": provider.slug,
        "sensitivity": "pseudonymised",
        "coverage_start_year": 2008,
        "coverage_end_year": 2024,
    }
    body.update(overrides)
    return body


# --- Datasets: reading ------------------------------------------------------------------------


def test_dataset_list_is_readable_anonymously_with_people_and_dictionary(
    api_client, dataset_a, analyst
):
    owner = make_user(Role.DATA_OWNER, full_name="Owen Owner", data_owner_of=dataset_a.provider)
    dataset_a.primary_analyst = analyst
    dataset_a.asset_owner = owner
    dataset_a.asset_owner_contact = "data@gov.example"
    dataset_a.save()
    response = api_client.get(DATASETS)
    assert response.status_code == 200
    item = response.json()["results"][0]
    assert item["slug"] == "education-attainment"
    assert item["provider"]["name"] == "Welsh Government"
    assert item["primary_analyst_name"] == "Ann Analyst"
    assert item["backup_analyst_name"] is None
    assert item["asset_owner_name"] == "Owen Owner"
    assert item["asset_owner_contact"] == "data@gov.example"
    assert analyst.email not in response.content.decode()
    assert {v["name"] for v in item["variables"]} == {
        "key_stage_4_points",
        "school_year",
        "postcode",
    }
    assert next(v for v in item["variables"] if v["name"] == "postcode")["is_identifying"]
    assert 0 < item["metadata_completeness"] <= 100


def test_dataset_retrieve_by_slug_is_public(api_client, dataset_a):
    response = api_client.get(f"{DATASETS}{dataset_a.slug}/")
    assert response.status_code == 200
    assert response.json()["title"] == "Education attainment"


def test_dataset_retrieve_unknown_slug_is_404_with_error_shape(api_client):
    response = api_client.get(f"{DATASETS}nothing-here/")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "detail", "fields"}


def test_dataset_search_matches_title_description_and_variable_names(
    api_client, dataset_a, dataset_b
):
    DatasetFactory(title="Ambulance calls", description="Emergency responses.")

    def slugs(query):
        return {d["slug"] for d in api_client.get(DATASETS, {"search": query}).json()["results"]}

    assert slugs("attainment") == {"education-attainment"}
    assert slugs("emergency") == {d.slug for d in Dataset.objects.filter(title="Ambulance calls")}
    assert slugs("event_code") == {"gp-events"}
    # A dataset matching on several variables is listed once.
    assert api_client.get(DATASETS, {"search": "s"}).json()["count"] == Dataset.objects.count()


def test_dataset_filters_narrow_the_list(api_client, dataset_a, dataset_b, owner_b):
    dataset_a.coverage_start_year, dataset_a.coverage_end_year = 2005, 2015
    dataset_a.save()
    dataset_b.coverage_start_year, dataset_b.coverage_end_year = 2012, None
    dataset_b.sensitivity = "deidentified"
    dataset_b.save()
    make_category(dataset=dataset_b, by=owner_b)

    def slugs(**params):
        return {d["slug"] for d in api_client.get(DATASETS, params).json()["results"]}

    assert slugs(provider="welsh-government") == {"education-attainment"}
    assert slugs(sensitivity="deidentified") == {"gp-events"}
    assert slugs(dea_gateway_permitted="true") == {"education-attainment"}
    assert slugs(dea_gateway_permitted="false") == {"gp-events"}
    assert slugs(covers_year=2010) == {"education-attainment"}
    assert slugs(covers_year=2014) == {"education-attainment", "gp-events"}
    assert slugs(covers_year=2025) == {"gp-events"}
    assert slugs(has_pre_approved_category="true") == {"gp-events"}
    assert slugs(has_pre_approved_category="false") == {"education-attainment"}


def test_dataset_retired_category_does_not_count_as_pre_approved(api_client, dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    category_retire(category=category, by=owner_a, reason="Ended")
    item = api_client.get(f"{DATASETS}{dataset_a.slug}/").json()
    assert item["has_pre_approved_category"] is False
    assert item["pre_approved_categories"] == []


def _make_datasets(count, provider, owner):
    for _ in range(count):
        dataset = DatasetFactory(provider=provider)
        VariableFactory.create_batch(3, dataset=dataset)
        make_category(dataset=dataset, by=owner)


def test_dataset_list_query_count_does_not_grow_with_length(
    api_client, provider_a, owner_a, django_assert_max_num_queries
):
    _make_datasets(2, provider_a, owner_a)
    with CaptureQueriesContext(connection) as two:
        assert api_client.get(DATASETS).json()["count"] == 2
    _make_datasets(18, provider_a, owner_a)
    with django_assert_max_num_queries(len(two.captured_queries)):
        assert api_client.get(DATASETS).json()["count"] == 20


def test_category_list_query_count_does_not_grow_with_length(
    api_client, provider_a, owner_a, django_assert_max_num_queries
):
    _make_datasets(2, provider_a, owner_a)
    with CaptureQueriesContext(connection) as two:
        assert api_client.get(CATEGORIES).json()["count"] == 2
    _make_datasets(18, provider_a, owner_a)
    with django_assert_max_num_queries(len(two.captured_queries)):
        assert api_client.get(CATEGORIES).json()["count"] == 20


# --- Datasets and variables: writing ----------------------------------------------------------


def test_dataset_create_anonymous_is_401(api_client, provider_a):
    response = api_client.post(DATASETS, _dataset_body(provider_a))
    assert response.status_code == 401
    assert not Dataset.objects.exists()


def test_dataset_create_researcher_is_403(client_for, researcher, provider_a):
    response = client_for(researcher).post(DATASETS, _dataset_body(provider_a))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Dataset.objects.exists()


def test_dataset_create_ops_is_201(client_for, ops, provider_a, analyst):
    response = client_for(ops).post(DATASETS, _dataset_body(provider_a, primary_analyst=analyst.pk))
    assert response.status_code == 201, response.json()
    assert response.json()["primary_analyst_name"] == "Ann Analyst"
    assert response.json()["variables"] == []
    assert Dataset.objects.get(slug="school-census").provider == provider_a


def test_dataset_create_dea_for_health_body_is_400_naming_the_field(client_for, ops, provider_b):
    response = client_for(ops).post(DATASETS, _dataset_body(provider_b, dea_gateway_permitted=True))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "health-service functions" in body["fields"]["dea_gateway_permitted"][0]
    assert not Dataset.objects.exists()


def test_dataset_create_coverage_end_before_start_is_400(client_for, ops, provider_a):
    response = client_for(ops).post(
        DATASETS, _dataset_body(provider_a, coverage_start_year=2020, coverage_end_year=2010)
    )
    assert response.status_code == 400
    assert "coverage_end_year" in response.json()["fields"]
    assert not Dataset.objects.exists()


def test_dataset_patch_by_ops_changes_fields(client_for, ops, dataset_a):
    response = client_for(ops).patch(
        f"{DATASETS}{dataset_a.slug}/", {"population": "Pupils in maintained schools"}
    )
    assert response.status_code == 200
    dataset_a.refresh_from_db()
    assert dataset_a.population == "Pupils in maintained schools"


def test_dataset_patch_dea_for_health_holder_is_400(client_for, ops, dataset_b):
    response = client_for(ops).patch(
        f"{DATASETS}{dataset_b.slug}/", {"dea_gateway_permitted": True}
    )
    assert response.status_code == 400
    assert "dea_gateway_permitted" in response.json()["fields"]
    dataset_b.refresh_from_db()
    assert not dataset_b.dea_gateway_permitted


def test_dataset_patch_by_data_owner_is_403(client_for, owner_a, dataset_a):
    response = client_for(owner_a).patch(f"{DATASETS}{dataset_a.slug}/", {"title": "Mine"})
    assert response.status_code == 403
    dataset_a.refresh_from_db()
    assert dataset_a.title == "Education attainment"


def test_variable_list_filters_by_dataset(api_client, dataset_a, dataset_b):
    response = api_client.get(VARIABLES, {"dataset": dataset_b.slug})
    assert response.status_code == 200
    assert [v["name"] for v in response.json()["results"]] == ["event_code"]


def test_variable_create_ops_201_researcher_403_anonymous_401(
    api_client, client_for, ops, researcher, dataset_a
):
    body = {"dataset": dataset_a.slug, "name": "ethnicity", "data_type": "code"}
    assert api_client.post(VARIABLES, body).status_code == 401
    assert client_for(researcher).post(VARIABLES, body).status_code == 403
    assert not Variable.objects.filter(name="ethnicity").exists()
    response = client_for(ops).post(VARIABLES, {**body, "is_sensitive_category": True})
    assert response.status_code == 201
    assert response.json()["dataset"] == dataset_a.slug
    assert Variable.objects.get(name="ethnicity").is_sensitive_category


def test_variable_patch_duplicate_name_is_400(client_for, ops, dataset_a):
    variable = dataset_a.variables.get(name="school_year")
    response = client_for(ops).patch(f"{VARIABLES}{variable.pk}/", {"name": "postcode"})
    assert response.status_code == 400
    assert "name" in response.json()["fields"]
    variable.refresh_from_db()
    assert variable.name == "school_year"


# --- Pre-approved categories: reading ---------------------------------------------------------


def test_category_list_is_public_and_hides_retired_by_default(api_client, dataset_a, owner_a):
    kept = make_category(dataset=dataset_a, by=owner_a, title="Kept")
    retired = make_category(dataset=dataset_a, by=owner_a, title="Retired one")
    category_retire(category=retired, by=owner_a, reason="Provider agreement ended")

    default = api_client.get(CATEGORIES)
    assert default.status_code == 200
    assert [c["id"] for c in default.json()["results"]] == [kept.pk]

    everything = api_client.get(CATEGORIES, {"include_retired": "true"}).json()["results"]
    marked = {c["id"]: (c["is_retired"], c["is_offered"]) for c in everything}
    assert marked == {kept.pk: (False, True), retired.pk: (True, False)}


def test_category_retired_stays_readable_with_versions(api_client, dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    category_retire(category=category, by=owner_a, reason="Provider agreement ended")
    response = api_client.get(f"{CATEGORIES}{category.pk}/")
    assert response.status_code == 200
    assert response.json()["is_retired"] is True
    assert response.json()["retirement_reason"] == "Provider agreement ended"
    assert api_client.get(f"{CATEGORIES}{category.pk}/versions/1/").status_code == 200


def test_category_list_hides_categories_not_yet_in_force(api_client, dataset_a, owner_a):
    make_category(dataset=dataset_a, by=owner_a, valid_from=datetime.date(2099, 1, 1))
    assert api_client.get(CATEGORIES).json()["count"] == 0
    assert api_client.get(CATEGORIES, {"include_retired": "true"}).json()["count"] == 1


def test_category_list_filters_by_dataset(api_client, dataset_a, dataset_b, owner_a, owner_b):
    make_category(dataset=dataset_a, by=owner_a)
    theirs = make_category(dataset=dataset_b, by=owner_b)
    results = api_client.get(CATEGORIES, {"dataset": dataset_b.slug}).json()["results"]
    assert [c["id"] for c in results] == [theirs.pk]


def test_category_unknown_version_is_404(api_client, dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    assert api_client.get(f"{CATEGORIES}{category.pk}/versions/2/").status_code == 404


# --- Pre-approved categories: writing ---------------------------------------------------------


def test_category_create_by_owner_is_201_with_version_one(client_for, owner_a, dataset_a):
    response = client_for(owner_a).post(CATEGORIES, _category_body(dataset_a))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["dataset"]["slug"] == dataset_a.slug
    assert body["current_version"]["version"] == 1
    assert body["current_version"]["citation"] == f"{body['id']}@1"
    assert body["current_version"]["permitted_purposes"] == [
        "public_policy",
        "social_economic_trends",
    ]


def test_category_create_anonymous_401_researcher_403(
    api_client, client_for, researcher, dataset_a
):
    assert api_client.post(CATEGORIES, _category_body(dataset_a)).status_code == 401
    response = client_for(researcher).post(CATEGORIES, _category_body(dataset_a))
    assert response.status_code == 403
    assert not PreApprovedCategory.objects.exists()


def test_category_create_for_another_owners_dataset_is_403(client_for, owner_a, dataset_b):
    response = client_for(owner_a).post(CATEGORIES, _category_body(dataset_b))
    assert response.status_code == 403
    assert "Digital Health and Care Wales" in response.json()["detail"]
    assert not PreApprovedCategory.objects.exists()


def test_category_revise_and_retire_of_another_owners_category_is_403(
    client_for, owner_a, owner_b, dataset_b
):
    category = make_category(dataset=dataset_b, by=owner_b, title="GP activity")
    client = client_for(owner_a)
    revise = client.post(f"{CATEGORIES}{category.pk}/revise/", {"title": "Hijacked"})
    retire = client.post(f"{CATEGORIES}{category.pk}/retire/", {"reason": "Hijacked"})
    assert (revise.status_code, retire.status_code) == (403, 403)
    category.refresh_from_db()
    assert category.current_version.title == "GP activity"
    assert category.versions.count() == 1
    assert not category.is_retired


def test_category_revise_makes_new_version_and_old_reads_back_unchanged(
    client_for, api_client, owner_a, dataset_a
):
    created = client_for(owner_a).post(CATEGORIES, _category_body(dataset_a)).json()
    url = f"{CATEGORIES}{created['id']}/"
    before = api_client.get(f"{url}versions/1/").json()

    school_year = dataset_a.variables.get(name="school_year")
    revised = client_for(owner_a).post(
        f"{url}revise/",
        {
            "title": "Attainment trends (narrowed)",
            "all_non_identifying_variables": False,
            "permitted_variables": [school_year.pk],
            "valid_until": "2027-12-31",
        },
    )
    assert revised.status_code == 200, revised.json()
    current = revised.json()["current_version"]
    assert current["version"] == 2
    assert current["title"] == "Attainment trends (narrowed)"
    assert current["permitted_variables"] == [{"id": school_year.pk, "name": "school_year"}]
    # Terms left out are carried over.
    assert current["permitted_purposes"] == ["public_policy", "social_economic_trends"]

    assert api_client.get(f"{url}versions/1/").json() == before
    versions = api_client.get(f"{url}versions/").json()
    assert [v["version"] for v in versions["results"]] == [1, 2]
    assert api_client.get(url).json()["current_version"]["version"] == 2


def test_category_revise_retired_is_409(client_for, owner_a, dataset_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    category_retire(category=category, by=owner_a, reason="Ended")
    response = client_for(owner_a).post(f"{CATEGORIES}{category.pk}/revise/", {"title": "New"})
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert category.versions.count() == 1


def test_category_retire_by_owner_removes_it_from_default_list(
    client_for, api_client, owner_a, dataset_a
):
    category = make_category(dataset=dataset_a, by=owner_a)
    response = client_for(owner_a).post(
        f"{CATEGORIES}{category.pk}/retire/", {"reason": "Replaced by a narrower category"}
    )
    assert response.status_code == 200
    assert response.json()["is_retired"] is True
    assert response.json()["retired_by"]["full_name"] == owner_a.full_name
    assert api_client.get(CATEGORIES).json()["count"] == 0
    again = client_for(owner_a).post(f"{CATEGORIES}{category.pk}/retire/", {"reason": "Again"})
    assert again.status_code == 409


def test_category_cannot_be_deleted_or_edited_in_place(client_for, owner_a, dataset_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    client = client_for(owner_a)
    assert client.delete(f"{CATEGORIES}{category.pk}/").status_code == 405
    assert client.patch(f"{CATEGORIES}{category.pk}/", {"title": "x"}).status_code == 405
    assert client.put(f"{CATEGORIES}{category.pk}/", {"title": "x"}).status_code == 405
    assert PreApprovedCategory.objects.filter(pk=category.pk).exists()


def _bad_category_inputs(dataset_a, dataset_b):
    postcode = dataset_a.variables.get(name="postcode")
    school_year = dataset_a.variables.get(name="school_year")
    foreign = dataset_b.variables.get(name="event_code")
    return {
        "unknown purpose": ({"permitted_purposes": ["marketing"]}, "permitted_purposes"),
        "no purposes": ({"permitted_purposes": []}, "permitted_purposes"),
        "ends before start": (
            {"valid_from": "2025-01-01", "valid_until": "2024-12-31"},
            "valid_until",
        ),
        "variable of another dataset": (
            {"all_non_identifying_variables": False, "permitted_variables": [foreign.pk]},
            "permitted_variables",
        ),
        "variables with all non-identifying": (
            {"all_non_identifying_variables": True, "permitted_variables": [school_year.pk]},
            "permitted_variables",
        ),
        "identifying variable": (
            {"all_non_identifying_variables": False, "permitted_variables": [postcode.pk]},
            "permitted_variables",
        ),
        "unknown sensitivity": ({"max_sensitivity": "top_secret"}, "max_sensitivity"),
        "unknown dataset": ({"dataset": "no-such-dataset"}, "dataset"),
    }


BAD_INPUTS = [
    "unknown purpose",
    "no purposes",
    "ends before start",
    "variable of another dataset",
    "variables with all non-identifying",
    "identifying variable",
    "unknown sensitivity",
    "unknown dataset",
]


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_category_create_bad_input_is_400_naming_the_field(
    case, client_for, owner_a, dataset_a, dataset_b
):
    overrides, field = _bad_category_inputs(dataset_a, dataset_b)[case]
    response = client_for(owner_a).post(CATEGORIES, _category_body(dataset_a, **overrides))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"], body
    assert not PreApprovedCategory.objects.exists()
    assert not PreApprovedCategoryVersion.objects.exists()


@pytest.mark.parametrize("case", [c for c in BAD_INPUTS if c != "unknown dataset"])
def test_category_revise_bad_input_is_400_and_keeps_current_version(
    case, client_for, owner_a, dataset_a, dataset_b
):
    category = make_category(dataset=dataset_a, by=owner_a)
    overrides, field = _bad_category_inputs(dataset_a, dataset_b)[case]
    response = client_for(owner_a).post(f"{CATEGORIES}{category.pk}/revise/", overrides)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    category.refresh_from_db()
    assert category.current_version.version == 1
    assert category.versions.count() == 1
