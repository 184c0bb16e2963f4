"""Pieces every page's forms share: the date widget, the plain-words reason a question is
asked (``why``), hints per choice, and the forms of a confirmation page (nothing, a note, a
reason). Forms parse what a person typed into the shapes services take; services check every
rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django import forms

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

_Field = TypeVar("_Field", bound=forms.Field)

# ``why`` and ``option_hints`` are read by the ``govuk_field`` tag (core/templatetags/govuk.py);
# Django's Field does not declare them, hence the two ignores below.


def why(field: _Field, text: str) -> _Field:
    """Say, beside the question, why it is asked (GOV.UK: explain why you need it)."""
    field.why = text  # type: ignore[attr-defined]  # our own attribute, read by the template tag
    return field


def hints(field: _Field, by_value: Mapping[Any, str]) -> _Field:
    """A hint under each option of a choice field (``{value: text}``)."""
    field.option_hints = by_value  # type: ignore[attr-defined]  # read by the template tag
    return field


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's field ``name``, a choice field whose choices are set per instance
    (``form.fields`` holds plain fields as far as the types know)."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field")
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
