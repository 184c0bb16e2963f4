"""Forms of the catalogue's pages: search and the owners' pre-approved categories."""

from __future__ import annotations

from django import forms

from access.models import Organisation
from catalogue.models import Dataset, OutputsAllowed, Purpose, Sensitivity
from core.forms import DATE, Form, choice_field, hints


class DatasetSearchForm(Form):
    q = forms.CharField(label="Search datasets and variables", required=False)
    provider = forms.ModelChoiceField(
        label="Provider",
        queryset=Organisation.objects.filter(datasets__isnull=False).distinct().order_by("name"),
        required=False,
        empty_label="Any provider",
        to_field_name="slug",
    )
    sensitivity = forms.ChoiceField(
        label="Sensitivity", choices=[("", "Any"), *Sensitivity.choices], required=False
    )
    pre_approved = forms.BooleanField(
        label="Only datasets with a category of use approved in advance", required=False
    )
    dea = forms.BooleanField(
        label="Only datasets that may be shared under the Digital Economy Act", required=False
    )


VARIABLES_ALL = "all"
VARIABLES_LISTED = "listed"


class CategoryForm(Form):
    """The full terms of a pre-approved category (a new category, or its next version)."""

    title = forms.CharField(label="Title", max_length=200)
    description = forms.CharField(
        label="What uses does it cover?", widget=forms.Textarea(attrs={"rows": 4})
    )
    permitted_purposes = forms.MultipleChoiceField(
        label="Permitted purposes", choices=Purpose.choices, widget=forms.CheckboxSelectMultiple
    )
    max_sensitivity = forms.ChoiceField(
        label="Most sensitive form of the data it allows",
        choices=Sensitivity.choices,
        widget=forms.RadioSelect,
    )
    variables_mode = forms.ChoiceField(
        label="Which variables does it cover?",
        choices=[
            (VARIABLES_ALL, "Any variable that cannot identify a person"),
            (VARIABLES_LISTED, "Only the variables I choose below"),
        ],
        widget=forms.RadioSelect,
        initial=VARIABLES_ALL,
    )
    permitted_variables = forms.MultipleChoiceField(
        label="Variables it covers",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Variables that can identify a person are never covered: projects that need "
        "them come to you for sign-off.",
    )
    outputs_allowed = forms.ChoiceField(
        label="Outputs allowed", choices=OutputsAllowed.choices, widget=forms.RadioSelect
    )
    conditions = forms.CharField(
        label="Conditions every such project must meet (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    valid_from = forms.DateField(label="In force from", widget=DATE)
    valid_until = forms.DateField(label="In force until (optional)", required=False, widget=DATE)

    def __init__(self, *args, dataset: Dataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset = dataset
        self.variables = {v.name: v for v in dataset.variables.filter(is_identifying=False)}
        field = choice_field(self, "permitted_variables")
        field.choices = [(n, n) for n in sorted(self.variables)]
        hints(field, {n: v.description for n, v in self.variables.items()})

    @staticmethod
    def initial_from(version) -> dict:
        return {
            "title": version.title,
            "description": version.description,
            "permitted_purposes": list(version.permitted_purposes),
            "max_sensitivity": version.max_sensitivity,
            "variables_mode": (
                VARIABLES_ALL if version.all_non_identifying_variables else VARIABLES_LISTED
            ),
            "permitted_variables": [v.name for v in version.permitted_variables.all()],
            "outputs_allowed": version.outputs_allowed,
            "conditions": version.conditions,
            "valid_from": version.valid_from,
            "valid_until": version.valid_until,
        }

    def terms(self) -> dict:
        """The terms as ``category_create`` / ``category_revise`` take them."""
        data = dict(self.cleaned_data)
        everything = data.pop("variables_mode") == VARIABLES_ALL
        names = data.pop("permitted_variables")
        data["all_non_identifying_variables"] = everything
        data["permitted_variables"] = [] if everything else [self.variables[n] for n in names]
        return data


class RetireForm(Form):
    reason = forms.CharField(
        label="Why is it retired?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Researchers see it on the dataset's page.",
    )
