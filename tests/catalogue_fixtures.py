"""Fixtures for catalogue tests: two providers with one data owner each, ops, a researcher."""

from __future__ import annotations

import pytest

from access.models import Organisation, Role
from catalogue.models import Sensitivity, Variable
from tests.factories import DatasetFactory, OrganisationFactory, VariableFactory, make_user


@pytest.fixture
def provider_a():
    return OrganisationFactory(
        name="Welsh Government", slug="welsh-government", kind=Organisation.Kind.DATA_PROVIDER
    )


@pytest.fixture
def provider_b():
    return OrganisationFactory(
        name="Digital Health and Care Wales",
        slug="dhcw",
        kind=Organisation.Kind.DATA_PROVIDER,
        has_health_service_functions=True,
    )


@pytest.fixture
def owner_a(provider_a):
    return make_user(Role.DATA_OWNER, username="owner_a", data_owner_of=provider_a)


@pytest.fixture
def owner_b(provider_b):
    return make_user(Role.DATA_OWNER, username="owner_b", data_owner_of=provider_b)


@pytest.fixture
def ops():
    return make_user(Role.OPS, username="ops")


@pytest.fixture
def researcher():
    return make_user(Role.RESEARCHER, username="researcher")


@pytest.fixture
def analyst():
    return make_user(Role.ANALYST, username="analyst", full_name="Ann Analyst")


@pytest.fixture
def dataset_a(provider_a):
    dataset = DatasetFactory(
        slug="education-attainment",
        title="Education attainment",
        provider=provider_a,
        sensitivity=Sensitivity.PSEUDONYMISED,
        dea_gateway_permitted=True,
    )
    VariableFactory(dataset=dataset, name="key_stage_4_points")
    VariableFactory(dataset=dataset, name="school_year")
    VariableFactory(
        dataset=dataset,
        name="postcode",
        is_identifying=True,
        data_type=Variable.DataType.STRING,
    )
    return dataset


@pytest.fixture
def dataset_b(provider_b):
    dataset = DatasetFactory(
        slug="gp-events",
        title="GP events",
        provider=provider_b,
        holder_has_health_service_functions=True,
    )
    VariableFactory(dataset=dataset, name="event_code")
    return dataset
