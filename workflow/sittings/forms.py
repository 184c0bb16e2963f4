"""The forms of the sitting pages (the services check every rule again: these shape input)."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms

from core.forms import DATE, Form, hints
from core.web import lines
from workflow.models import Outcome, Panel, PanelMembership, PanelMode


class SittingForm(Form):
    panel = forms.ChoiceField(label="Panel")
    date = forms.DateField(
        label="Date of the sitting", widget=DATE, help_text="For example, 27 3 2027"
    )
    cut_off = forms.DateField(
        label="Cut-off",
        widget=DATE,
        help_text="Applications referred to the panel by this day go on the agenda. On or "
        "before the date of the sitting.",
    )
    location = forms.CharField(label="Where (optional)", max_length=200, required=False)

    def __init__(self, *args, panels: Iterable[Panel], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(p.pk), p.name) for p in panels]
        field = self.fields["panel"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = choices
        if len(choices) == 1:
            field.initial = choices[0][0]


class AttendanceForm(Form):
    present = forms.MultipleChoiceField(
        label="Who is present?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Everyone not ticked is recorded absent.",
    )

    def __init__(self, *args, members: Iterable[PanelMembership], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["present"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - declared above
        field.choices = [
            (
                str(m.user_id),
                f"{m.user.full_name}"
                + (
                    " (chair)"
                    if m.is_chair
                    else " (lay)"
                    if m.is_lay
                    else " (independent)"
                    if m.is_independent
                    else ""
                ),
            )
            for m in members
        ]


class ConditionsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        return lines(super().to_python(value))


class ItemDecisionForm(Form):
    outcome = forms.ChoiceField(
        label="The panel's decision", choices=Outcome.choices, widget=forms.RadioSelect
    )
    rationale = forms.CharField(
        label="Reasons",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed for anything but approve. The applicant reads them in the letter.",
    )
    conditions = ConditionsField(
        label="Conditions (optional)", required=False, help_text="One condition per line."
    )


class MinutesForm(Form):
    minutes = forms.CharField(
        label="Minutes",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Published as they are. No names, email addresses or telephone numbers: the "
        "public minutes carry no personal data (the items' references and outcomes and the "
        "attendance in numbers are added for you).",
    )


class DeferForm(Form):
    reason = forms.CharField(
        label="Why is it deferred? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown on the agenda and in the public minutes, unless it names a person "
        "(then it is kept on the record only). Left empty, it says “Deferred by the chair.”",
        error_messages={"max_length": "Give the reason in at most 2,000 characters."},
    )


class PanelModeForm(Form):
    """How a panel decides: on a rolling basis or at sittings (ops)."""

    mode = hints(
        forms.ChoiceField(
            label="How does the panel decide?",
            choices=[
                (PanelMode.ROLLING, "On a rolling basis"),
                (PanelMode.SITTING, "At sittings"),
            ],
            widget=forms.RadioSelect,
            error_messages={
                "required": "Select how the panel decides.",
                "invalid_choice": "Select rolling or sittings.",
            },
        ),
        {
            PanelMode.ROLLING: "Each application is decided when its vote allows, the chair "
            "closing it.",
            PanelMode.SITTING: "The panel meets: applications referred by a cut-off go on the "
            "agenda and are decided item by item at the sitting.",
        },
    )
