"""Forms of the reviews: the consolidated feedback composer and answers, votes, conflicts, and
the decision on a track (the chair's close or an owner's sign-off)."""

from __future__ import annotations

from django import forms

from core.forms import Form, choice_field
from core.web import lines
from workflow.models import (
    Outcome,
)


class ConditionsField(forms.CharField):
    """Conditions, one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        return lines(super().to_python(value))


class VoteForm(Form):
    choice = forms.ChoiceField(label="Your vote", choices=Outcome.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        label="Your reasons",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed for anything but approve. The chair and the other members read them.",
    )
    conditions = ConditionsField(
        label="Conditions you propose (optional)",
        required=False,
        help_text="One condition per line. Needed with approve with conditions.",
    )


class ConflictForm(Form):
    reason = forms.CharField(
        label="What is the conflict of interest?",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example, you work with the applicant or on a competing project.",
    )


class TrackDecisionForm(Form):
    outcome = forms.ChoiceField(label="Outcome", choices=Outcome.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        label="Reasons",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The applicant reads them in the decision letter.",
    )
    conditions = ConditionsField(
        label="Conditions (optional)", required=False, help_text="One condition per line."
    )

    def __init__(self, *args, owner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if owner:
            self.fields["outcome"].label = "Your decision"
            choice_field(self, "outcome").choices = [
                (Outcome.APPROVED, "Sign off"),
                (Outcome.APPROVED_WITH_CONDITIONS, "Sign off with conditions"),
                (Outcome.REJECTED, "Refuse"),
            ]
