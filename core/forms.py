"""Pieces every page's forms share: the base form (GOV.UK's specific error messages in place of
Django's defaults), the GOV.UK date input, the plain-words reason a question is
asked (``why``), hints per choice, and the forms of a confirmation page (nothing, a note, a
reason). Forms parse what a person typed into the shapes services take; services check every
rule.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from django import forms

DATE_PARTS = ("day", "month", "year")


class DateInput(forms.Widget):
    """The GOV.UK date input: three boxes, day, month and year (``<name>-day`` and so on),
    rather than the browser's date picker (four tab stops, and a locale's own order). A single
    ``<name>=YYYY-MM-DD`` is still read (links with filters in them, scripts). The boxes are
    drawn by the ``govuk_field`` tag (templates/components/fields/date.html)."""

    input_type = "date"

    def value_from_datadict(self, data, files, name):
        parts = [str(data.get(f"{name}-{part}", "")).strip() for part in DATE_PARTS]
        if not any(parts):
            return data.get(name)
        day, month, year = parts
        if all(p.isdigit() for p in parts) and len(year) == 4:
            return f"{year}-{month.zfill(2)}-{day.zfill(2)}"
        return " ".join(parts)  # not a date: the field says so

    def value_omitted_from_data(self, data, files, name):
        return name not in data and not any(f"{name}-{part}" in data for part in DATE_PARTS)

    def format_value(self, value):
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value

    @staticmethod
    def parts(value: Any) -> dict[str, str]:
        """The three boxes' text for ``value`` (a date, an ISO string, or what was typed)."""
        if isinstance(value, datetime.date):
            return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
        text = str(value or "")
        iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if iso:
            year, month, day = iso.groups()
            return {"day": str(int(day)), "month": str(int(month)), "year": year}
        typed = [*text.split(" "), "", "", ""][:3]
        return dict(zip(DATE_PARTS, typed, strict=True))


DATE = DateInput()

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


def reveals(field: _Field, by_value: Mapping[Any, str]) -> _Field:
    """GOV.UK's conditional reveal: under each option named (``{value: other field's name}``)
    the form's other field, shown while the option is chosen (always without JavaScript)."""
    field.option_reveals = by_value  # type: ignore[attr-defined]  # read by the template tag
    return field


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's field ``name``, a choice field whose choices are set per instance
    (``form.fields`` holds plain fields as far as the types know)."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field")
    return field


def _in_sentence(label: str) -> str:
    """A field's label inside a sentence: "(optional)" and the question mark dropped, and the
    first letter lower-cased unless it starts an acronym ("DEA", "TRE")."""
    text = re.sub(r"\s*\(optional\)\s*$", "", str(label)).rstrip("?").strip()
    if text[:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def _django_default(field: forms.Field, key: str) -> str | None:
    for klass in type(field).__mro__:
        message = getattr(klass, "default_error_messages", {}).get(key)
        if message is not None:
            return str(message)
    return None


def specific_messages(field: forms.Field, label: str) -> None:
    """Replace Django's default error messages on ``field`` by GOV.UK-style ones that name
    what is wrong with this field; messages a form set itself are kept."""
    phrase = _in_sentence(label) or "this"
    if not re.match(r"(the|a|an|your|their|its|this|who|what|which|why|how|when) ", phrase):
        phrase = f"the {phrase}"
    is_question = str(label).rstrip().endswith("?")
    choosing = isinstance(field, forms.ChoiceField | forms.ModelChoiceField) or isinstance(
        field.widget, forms.CheckboxInput
    )
    if isinstance(field, forms.DateField):
        required = f"Enter {phrase}" if "date" in phrase else f"Enter the date for “{label}”"
    elif isinstance(field, forms.FileField):
        required = "Choose a file to upload"
    elif choosing:
        required = f"Answer “{label}”" if is_question else f"Select {phrase}"
    else:
        required = f"Answer “{label}”" if is_question else f"Enter {phrase}"
    name = _in_sentence(label)
    name = (name[:1].upper() + name[1:]) if name and not is_question else "Your answer"
    ours = {
        "required": required if required.endswith("”") else required + ".",
        "invalid_choice": f"Select one of the options given for {phrase}.",
        "invalid_list": f"Select one or more of the options given for {phrase}.",
        "invalid_pk_value": f"Select one of the options given for {phrase}.",
        "min_value": f"{name} must be %(limit_value)s or more.",
        "max_value": f"{name} must be %(limit_value)s or less.",
        "max_length": f"{name} must be %(limit_value)d characters or fewer.",
        "min_length": f"{name} must be %(limit_value)d characters or more.",
        "step_size": f"{name} must be a multiple of %(limit_value)s.",
        "max_digits": f"{name} has too many digits.",
        "max_decimal_places": f"{name} has too many decimal places.",
        "empty": "The file you chose is empty.",
        "missing": "Choose a file to upload.",
    }
    if isinstance(field, forms.DateField):
        ours["invalid"] = f"{name} must be a real date, for example 27 3 2026."
    elif isinstance(field, forms.EmailField):
        ours["invalid"] = "Enter an email address in the correct format, like name@example.com."
    elif isinstance(field, forms.IntegerField):
        ours["invalid"] = f"{name} must be a whole number."
    elif isinstance(field, forms.DecimalField | forms.FloatField):
        ours["invalid"] = f"{name} must be a number."
    elif "invalid" in field.error_messages:
        ours["invalid"] = f"Enter {phrase} in the correct format."
    # Validators' messages (limits, lengths) are replaced through the field's messages by code.
    by_validator = {"min_value", "max_value", "max_length", "min_length", "step_size"}
    for key, message in ours.items():
        default = _django_default(field, key)
        current = field.error_messages.get(key)
        ours_by_validator = current is None and key in by_validator
        replaces_default = default is not None and (current is None or str(current) == default)
        if ours_by_validator or replaces_default:
            field.error_messages[key] = message


class Form(forms.Form):
    """Every page form's base: GOV.UK's specific error messages, never Django's defaults
    ("This field is required."), for the fields declared on the class and those added in
    ``__init__`` alike (hence set just before cleaning)."""

    def full_clean(self) -> None:
        for name, field in self.fields.items():
            specific_messages(field, str(field.label or name.replace("_", " ").capitalize()))
        super().full_clean()


class EmptyForm(forms.Form):
    pass


class NoteForm(Form):
    reason = forms.CharField(
        label="Note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the timeline of the application.",
    )


class ReasonForm(Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The applicant reads it, and it is kept in the timeline.",
    )


YES_NO = [("yes", "Yes"), ("no", "No")]
