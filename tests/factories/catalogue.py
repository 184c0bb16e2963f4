from __future__ import annotations

import datetime

import factory

from access.models import Organisation
from catalogue.models import (
    Dataset,
    OutputsAllowed,
    PreApprovedCategory,
    Purpose,
    Sensitivity,
    Variable,
)
from catalogue.services import category_create
from tests.factories.access import OrganisationFactory


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    slug = factory.Sequence(lambda n: f"dataset-{n}")
    title = factory.Sequence(lambda n: f"Dataset {n}")
    description = "Records of something that matters."
    provider = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.DATA_PROVIDER)
    sensitivity = Sensitivity.PSEUDONYMISED


class VariableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variable

    dataset = factory.SubFactory(DatasetFactory)
    name = factory.Sequence(lambda n: f"var_{n}")
    description = "A variable."
    data_type = Variable.DataType.INTEGER


def make_category(*, dataset: Dataset, by, **terms) -> PreApprovedCategory:
    """A pre-approved category written through the service (so version 1 exists)."""
    defaults = {
        "title": "Health services research",
        "description": "Studies of how services are used, with aggregate outputs only.",
        "permitted_purposes": [Purpose.HEALTH_RESEARCH],
        "max_sensitivity": Sensitivity.PSEUDONYMISED,
        "all_non_identifying_variables": True,
        "outputs_allowed": OutputsAllowed.AGGREGATE_ONLY,
        "valid_from": datetime.date(2024, 1, 1),
    }
    defaults.update(terms)
    return category_create(dataset=dataset, by=by, **defaults)
