from __future__ import annotations

import factory

from access.models import Organisation
from catalogue.models import Dataset, Sensitivity, Variable

from .access import OrganisationFactory


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
