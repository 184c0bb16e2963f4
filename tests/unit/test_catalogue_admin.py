import pytest

from access.models import Role
from catalogue.models import PreApprovedCategory
from tests.factories import make_category, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_owner_a(provider_a):
    # A data owner who also has admin access (superuser for Django's own model permissions).
    return make_user(Role.DATA_OWNER, data_owner_of=provider_a, is_staff=True, is_superuser=True)


def test_admin_category_pages_have_no_delete_and_show_versions(
    client, staff_owner_a, dataset_a, owner_a
):
    category = make_category(dataset=dataset_a, by=owner_a, title="School outcomes")
    client.force_login(staff_owner_a)
    change = client.get(f"/admin/catalogue/preapprovedcategory/{category.pk}/change/")
    assert change.status_code == 200
    assert "School outcomes" in change.content.decode()
    assert "Write a new version" in change.content.decode()
    delete = client.get(f"/admin/catalogue/preapprovedcategory/{category.pk}/delete/")
    assert delete.status_code == 403
    assert client.get("/admin/catalogue/preapprovedcategory/").status_code == 200
    assert client.get(f"/admin/catalogue/dataset/{dataset_a.pk}/delete/").status_code == 403


def test_admin_new_version_form_writes_a_version_through_the_service(
    client, staff_owner_a, dataset_a, owner_a
):
    category = make_category(dataset=dataset_a, by=owner_a, title="School outcomes")
    client.force_login(staff_owner_a)
    url = f"/admin/catalogue/preapprovedcategory/{category.pk}/new-version/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "School outcomes v2",
            "description": "Narrower.",
            "permitted_purposes": ["public_policy"],
            "max_sensitivity": "pseudonymised",
            "all_non_identifying_variables": "on",
            "outputs_allowed": "aggregate_only",
            "valid_from": "2025-01-01",
        },
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.current_version.version == 2
    assert category.versions.get(version=1).title == "School outcomes"
    assert category.current_version.created_by == staff_owner_a


def test_admin_new_version_by_non_owner_is_refused_and_writes_nothing(client, dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    superuser = make_user(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    response = client.post(
        f"/admin/catalogue/preapprovedcategory/{category.pk}/new-version/",
        {
            "title": "Not mine",
            "description": "x",
            "permitted_purposes": ["public_policy"],
            "max_sensitivity": "pseudonymised",
            "all_non_identifying_variables": "on",
            "outputs_allowed": "aggregate_only",
            "valid_from": "2025-01-01",
        },
    )
    assert response.status_code == 200
    assert "Only a data owner" in response.content.decode()
    assert PreApprovedCategory.objects.get(pk=category.pk).versions.count() == 1


def test_admin_retire_form_retires_through_the_service(client, staff_owner_a, dataset_a, owner_a):
    category = make_category(dataset=dataset_a, by=owner_a)
    client.force_login(staff_owner_a)
    response = client.post(
        f"/admin/catalogue/preapprovedcategory/{category.pk}/retire/",
        {"reason": "Superseded"},
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.is_retired
    assert category.retired_by == staff_owner_a


def test_admin_add_category_calls_the_service(client, staff_owner_a, dataset_a):
    client.force_login(staff_owner_a)
    assert client.get("/admin/catalogue/preapprovedcategory/add/").status_code == 200
    response = client.post(
        "/admin/catalogue/preapprovedcategory/add/",
        {
            "dataset": dataset_a.pk,
            "title": "From the admin",
            "description": "Made in the admin.",
            "permitted_purposes": ["public_policy"],
            "max_sensitivity": "pseudonymised",
            "permitted_variables": [dataset_a.variables.get(name="postcode").pk],
            "outputs_allowed": "aggregate_only",
            "valid_from": "2025-01-01",
        },
    )
    # The identifying variable is refused by the service and shown on the form.
    assert response.status_code == 200
    assert "Identifying: postcode" in response.content.decode()
    assert not PreApprovedCategory.objects.exists()


def test_admin_dataset_form_applies_the_dea_rule(client, staff_owner_a, dataset_b):
    client.force_login(staff_owner_a)
    url = f"/admin/catalogue/dataset/{dataset_b.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "title": dataset_b.title,
        "description": dataset_b.description,
        "provider": dataset_b.provider_id,
        "sensitivity": dataset_b.sensitivity,
        "dea_gateway_permitted": "on",
        "holder_has_health_service_functions": "on",
        "variables-TOTAL_FORMS": "0",
        "variables-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "health-service functions" in response.content.decode()
    dataset_b.refresh_from_db()
    assert not dataset_b.dea_gateway_permitted
