"""Pieces every page's forms share: the date widget, the plain-words reason a question is
asked (``why``), hints per choice, and the forms of a confirmation page (nothing, a note, a
reason). Forms parse what a person typed into the shapes services take; services check every
rule.
"""

from __future__ import annotations

from django import forms

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def why(field: forms.Field, text: str) -> forms.Field:
    """Say, beside the question, why it is asked (GOV.UK: explain why you need it)."""
    field.why = text
    return field


def hints(field: forms.Field, by_value: dict) -> forms.Field:
    """A hint under each option of a choice field (``{value: text}``)."""
    field.option_hints = by_value
    return field


class EmptyForm(forms.Form):
    pass


class NoteForm(forms.Form):
    reason = forms.CharField(
        label="Note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the timeline of the application.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The applicant reads it, and it is kept in the timeline.",
    )


YES_NO = [("yes", "Yes"), ("no", "No")]
