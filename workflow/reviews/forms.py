"""Forms of the reviews: the consolidated feedback composer and answers, votes, conflicts, and
the decision on a track (the chair's close or an owner's sign-off)."""

from __future__ import annotations

from django import forms

from core.forms import Form, choice_field
from core.web import lines
from workflow.models import (
    DecisionRule,
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


class PanelRuleForm(Form):
    """A panel's decision rule (ops)."""

    quorum = forms.IntegerField(
        label="Votes needed",
        min_value=1,
        max_value=100,
        help_text="Conflicted members do not vote and do not count.",
        error_messages={
            "required": "Enter how many votes the panel needs.",
            "invalid": "Enter the votes needed as a whole number, like 3.",
            "min_value": "The panel needs at least 1 vote.",
            "max_value": "Enter at most 100 votes.",
        },
    )
    decision_rule = forms.ChoiceField(
        label="How the panel decides",
        choices=DecisionRule.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the panel decides."},
    )
    min_independent_votes = forms.IntegerField(
        label="Votes that must come from independent members",
        min_value=0,
        max_value=100,
        help_text="Lay members are independent too.",
        error_messages={
            "required": "Enter how many independent votes are needed (0 for none).",
            "invalid": "Enter the independent votes as a whole number, like 1.",
            "min_value": "Enter 0 or more independent votes.",
            "max_value": "Enter at most 100 independent votes.",
        },
    )
    min_lay_votes = forms.IntegerField(
        label="Votes that must come from lay members",
        min_value=0,
        max_value=100,
        help_text="Members of the public on the panel.",
        error_messages={
            "required": "Enter how many lay votes are needed (0 for none).",
            "invalid": "Enter the lay votes as a whole number, like 1.",
            "min_value": "Enter 0 or more lay votes.",
            "max_value": "Enter at most 100 lay votes.",
        },
    )
    blind_first_round = forms.BooleanField(
        label="Blind first round: members see no other vote, nor the tally, until they have "
        "voted and the quorum has voted",
        required=False,
    )
