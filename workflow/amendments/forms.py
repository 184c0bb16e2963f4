"""The forms of the amendment pages: one per kind of change (each parses what a person typed
into one change of the stored shape; the services check every rule), the track decision and
the withdrawal reason."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from access.models import Organisation, User
from catalogue.models import Dataset, Purpose
from core.forms import DATE, Form, hints
from workflow.amendments.models import ChangeType, TrackOutcome
from workflow.route.models import Application, LegalGateway, ProjectRole


class ChangeTypeForm(Form):
    type = hints(
        forms.ChoiceField(
            label="What do you want to change?",
            choices=ChangeType.choices,
            widget=forms.RadioSelect,
        ),
        {
            ChangeType.ADD_MEMBER: "From the same organisation: no panel, their safe-people "
            "check and signature. From a new organisation: its signatory too.",
            ChangeType.REMOVE_MEMBER: "Takes effect at once; their access ends that day.",
            ChangeType.ADD_DATASET: "The data owner signs off, unless a pre-approved category "
            "covers it; the DEA panel too for DEA data.",
            ChangeType.REMOVE_DATASET: "Takes effect at once.",
            ChangeType.CHANGE_QUESTION: "The IGRP decides (and the DEA panel if the project "
            "uses DEA data).",
            ChangeType.EXTEND_END_DATE: "Ops decide within the data owners' maximum; beyond it, "
            "the owners concerned.",
        },
    )


def _names(text: str) -> list[str]:
    return [n for n in re.split(r"[\s,]+", text or "") if n]


class ChangeForm(Form):
    """A form for one kind of change: ``change()`` is the change in its stored shape."""

    kind: str = ""

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        self.application = application
        super().__init__(*args, **kwargs)

    def change(self) -> dict[str, Any]:
        return {"type": self.kind}


class AddMemberForm(ChangeForm):
    kind = ChangeType.ADD_MEMBER
    email = forms.EmailField(
        label="Their email address",
        help_text="The address they sign in with here. They need an account first.",
    )
    project_role = forms.ChoiceField(
        label="Their role in the project",
        choices=[c for c in ProjectRole.choices if c[0] != ProjectRole.PRINCIPAL_INVESTIGATOR],
        widget=forms.RadioSelect,
        initial=ProjectRole.RESEARCHER,
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if not User.objects.filter(email__iexact=email, is_active=True).exists():
            raise forms.ValidationError(
                "No one with that email address has an account here: ask them to sign in once."
            )
        return email

    def change(self) -> dict[str, Any]:
        person = User.objects.get(email__iexact=self.cleaned_data["email"])
        return {
            "type": self.kind,
            "user": person.pk,
            "project_role": self.cleaned_data["project_role"],
        }


class RemoveMemberForm(ChangeForm):
    kind = ChangeType.REMOVE_MEMBER
    user = forms.TypedChoiceField(label="Who leaves the project?", coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = self.application.members.select_related("user").exclude(
            project_role=ProjectRole.PRINCIPAL_INVESTIGATOR
        )
        field: Any = self.fields["user"]
        field.choices = [(m.user_id, m.user.full_name) for m in members]
        field.widget = forms.RadioSelect(choices=field.choices)

    def change(self) -> dict[str, Any]:
        return {"type": self.kind, "user": self.cleaned_data["user"]}


class AddDatasetForm(ChangeForm):
    kind = ChangeType.ADD_DATASET
    dataset = forms.ChoiceField(label="Which dataset?")
    legal_gateway = forms.ChoiceField(
        label="The legal gateway it is shared under", choices=LegalGateway.choices
    )
    variables = forms.CharField(
        label="Variables",
        help_text="Their names as in the catalogue, separated by commas",
        required=False,
    )
    justification = forms.CharField(
        label="Why the project needs it", widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        held = self.application.requested_datasets.values("dataset")
        field: Any = self.fields["dataset"]
        field.choices = [("", "Choose a dataset")] + [
            (d.slug, d.title) for d in Dataset.objects.exclude(pk__in=held).order_by("title")
        ]

    def change(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "dataset": self.cleaned_data["dataset"],
            "legal_gateway": self.cleaned_data["legal_gateway"],
            "variables": _names(self.cleaned_data["variables"]),
            "justification": self.cleaned_data["justification"],
        }


class AddVariablesForm(ChangeForm):
    kind = ChangeType.ADD_VARIABLES
    dataset = forms.ChoiceField(label="Which of the project's datasets?")
    variables = forms.CharField(
        label="Variables to add", help_text="Their names as in the catalogue, separated by commas"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["dataset"]
        field.choices = [("", "Choose a dataset")] + [
            (rd.dataset.slug, rd.dataset.title)
            for rd in self.application.requested_datasets.select_related("dataset")
        ]

    def change(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "dataset": self.cleaned_data["dataset"],
            "variables": _names(self.cleaned_data["variables"]),
        }


class RemoveDatasetForm(ChangeForm):
    kind = ChangeType.REMOVE_DATASET
    dataset = forms.ChoiceField(label="Which dataset does the project no longer need?")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["dataset"]
        field.choices = [
            (rd.dataset.slug, rd.dataset.title)
            for rd in self.application.requested_datasets.select_related("dataset")
        ]
        field.widget = forms.RadioSelect(choices=field.choices)

    def change(self) -> dict[str, Any]:
        return {"type": self.kind, "dataset": self.cleaned_data["dataset"]}


class ChangeQuestionForm(ChangeForm):
    kind = ChangeType.CHANGE_QUESTION
    research_question = forms.CharField(
        label="The new research question",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    purpose = forms.ChoiceField(
        label="The new purpose",
        choices=[("", "Keep the current purpose"), *Purpose.choices],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("research_question", self.application.research_question)

    def change(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "research_question": self.cleaned_data["research_question"],
            "purpose": self.cleaned_data["purpose"],
        }


class ExtendForm(ChangeForm):
    kind = ChangeType.EXTEND_END_DATE
    end_date = forms.DateField(
        label="New end date", help_text="For example, 31 3 2029", widget=DATE
    )

    def change(self) -> dict[str, Any]:
        return {"type": self.kind, "end_date": self.cleaned_data["end_date"].isoformat()}


class ChangeLeadForm(ChangeForm):
    kind = ChangeType.CHANGE_LEAD
    principal_investigator = forms.TypedChoiceField(
        label="New principal investigator", coerce=int, required=False, empty_value=None
    )
    lead_organisation = forms.TypedChoiceField(
        label="New lead organisation", coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pi: Any = self.fields["principal_investigator"]
        pi.choices = [("", "Keep the principal investigator")] + [
            (m.user_id, m.user.full_name)
            for m in self.application.members.select_related("user").exclude(
                project_role=ProjectRole.PRINCIPAL_INVESTIGATOR
            )
        ]
        org: Any = self.fields["lead_organisation"]
        org.choices = [("", "Keep the lead organisation")] + [
            (o.pk, o.name) for o in Organisation.objects.order_by("name")
        ]

    def change(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "principal_investigator": self.cleaned_data["principal_investigator"],
            "lead_organisation": self.cleaned_data["lead_organisation"],
        }


CHANGE_FORMS: dict[str, type[ChangeForm]] = {
    form.kind: form
    for form in (
        AddMemberForm,
        RemoveMemberForm,
        AddDatasetForm,
        AddVariablesForm,
        RemoveDatasetForm,
        ChangeQuestionForm,
        ExtendForm,
        ChangeLeadForm,
    )
}


class ReasonForAmendmentForm(Form):
    reason = forms.CharField(
        label="Why does the project need this change?",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class RouteRuleForm(Form):
    active = forms.BooleanField(label="Use this rule", required=False)
    target_days = forms.IntegerField(label="Target in working days", min_value=0, max_value=250)
    note = forms.CharField(
        label="Note shown with the route",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class VoteForm(Form):
    choice = forms.ChoiceField(
        label="Your vote", choices=TrackOutcome.choices, widget=forms.RadioSelect
    )
    rationale = forms.CharField(
        label="Your reasons",
        help_text="Needed if you would not approve it.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class DecideForm(Form):
    outcome = forms.ChoiceField(
        label="Your decision", choices=TrackOutcome.choices, widget=forms.RadioSelect
    )
    rationale = forms.CharField(
        label="Your reasons",
        help_text="Needed if you do not approve; the team sees them in the decision letter.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
