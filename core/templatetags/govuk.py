"""GOV.UK Design System markup for Django forms and the domain's states.

Presentation only: which template renders a field, the options of a choice field with their
hints, the colour of a state's tag. No rule of the domain lives here.
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.db import models

from core.forms import DateInput
from core.text import in_sentence as _in_sentence

register = template.Library()

# Tag colours: text always names the state; colour only reinforces it.
STATE_COLOURS = {
    "draft": "grey",
    "scoping": "blue",
    "changes_requested": "orange",
    "internal_review": "light-blue",
    "in_review": "purple",
    "approved": "green",
    "active": "turquoise",
    "rejected": "red",
    "withdrawn": "grey",
    "suspended": "yellow",
    "closed": "grey",
    # review tracks and outcomes
    "open": "blue",
    "decided": "green",
    "approved_with_conditions": "green",
    "revise_and_resubmit": "orange",
    # accreditation, conditions, the Five Safes checks and verdicts
    "applied": "blue",
    "accredited": "green",
    "refused": "red",
    "expired": "grey",
    "revoked": "red",
    "pass": "green",
    "warn": "yellow",
    "fail": "red",
    "pending": "blue",
    "met": "green",
    "met_with_conditions": "yellow",
    "not_met": "red",
    "verified": "green",
    "evidence_given": "light-blue",
    "withdrawn_condition": "grey",
}


def _template_for(widget: forms.Widget) -> str:
    if isinstance(widget, DateInput):
        return "components/fields/date.html"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "components/fields/checkboxes.html"
    if isinstance(widget, forms.RadioSelect):
        return "components/fields/radios.html"
    if isinstance(widget, forms.Select):
        return "components/fields/select.html"
    if isinstance(widget, forms.Textarea):
        return "components/fields/textarea.html"
    if isinstance(widget, forms.CheckboxInput):
        return "components/fields/checkbox.html"
    return "components/fields/input.html"


def _options(bound: forms.BoundField, choices: list) -> list[dict]:
    """Each choice of a radio or checkbox field: value, label, checked, id and hint.

    The first option's id is the field's own id, so the error summary's link lands on it.
    Hints come from the form field's ``option_hints`` ({value: text}) when it has them, and
    conditional reveals (GOV.UK's "conditionally revealing a related question") from its
    ``option_reveals`` ({value: name of another field of the form}): that field is shown under
    the option while it is chosen (always without JavaScript).
    """
    hints = getattr(bound.field, "option_hints", {}) or {}
    reveals = getattr(bound.field, "option_reveals", {}) or {}
    value = bound.value()
    selected = {str(v) for v in value} if isinstance(value, list | tuple) else {str(value)}
    options: list[dict[str, Any]] = []
    # Only called for fields that have choices (see govuk_field).
    for index, (choice_value, label) in enumerate(choices):
        raw = getattr(choice_value, "value", choice_value)
        if raw in ("", None):
            continue
        options.append(
            {
                "value": raw,
                "label": label,
                "checked": str(raw) in selected,
                "id": bound.auto_id if not options else f"{bound.auto_id}-{index}",
                "hint": hints.get(raw) or hints.get(str(raw), ""),
                "reveal": bound.form[reveals[raw]] if raw in reveals else None,
            }
        )
    return options


@register.inclusion_tag("components/fields/field.html")
def govuk_field(
    bound: forms.BoundField,
    hint: str = "",
    why: str = "",
    label_class: str = "govuk-label--s",
    heading: bool = False,
    classes: str = "",
    maxwords: int | None = None,
    inline: bool = False,
) -> dict:
    """Render ``bound`` as the GOV.UK component for its widget.

    ``why`` is the plain-words reason the question is asked (shown beside it); ``heading``
    makes the label the page's h1 (one-question pages); ``maxwords`` adds the word count.
    """
    widget = bound.field.widget
    # iter(): list() of a model choice field's choices would count them first (a query).
    choices = list(iter(bound.field.choices)) if hasattr(bound.field, "choices") else None
    if isinstance(widget, DateInput) and not (hint or bound.help_text):
        hint = "For example, 27 3 2026"
    return {
        "field": bound,
        "template": _template_for(widget),
        "hint": hint or bound.help_text,
        "why": why or getattr(bound.field, "why", ""),
        "label_class": "govuk-label--l" if heading else label_class,
        "legend_class": "govuk-fieldset__legend--l" if heading else "govuk-fieldset__legend--s",
        "heading": heading,
        "classes": classes,
        "maxwords": maxwords,
        "inline": inline,
        "input_type": getattr(widget, "input_type", "text"),
        # The choices read once (a model choice field's are a query, and a loop in a template
        # counts them first: three queries a select, before).
        "choices": choices,
        "options": _options(bound, choices) if choices is not None else [],
        "date_parts": [
            {"name": name, "label": name.capitalize(), "value": value}
            for name, value in DateInput.parts(bound.value()).items()
        ]
        if isinstance(widget, DateInput)
        else [],
        "describedby": " ".join(
            part
            for part, present in (
                (f"{bound.auto_id}-hint", bool(hint or bound.help_text)),
                (f"{bound.auto_id}-error", bool(bound.errors)),
            )
            if present
        ),
    }


# The words of every state and outcome a tag may show: each app registers its choices when it
# is ready (core knows no app's vocabulary).
STATE_LABELS: dict[str, str] = {}


def register_state_labels(*choices: type[models.Choices]) -> None:
    for choice in choices:
        for value, label in choice.choices:
            STATE_LABELS.setdefault(value, label)


@register.inclusion_tag("components/state_tag.html")
def state_tag(state: str, label: str = "") -> dict:
    """A tag for a state or outcome: the words carry the meaning, the colour repeats it."""
    label = label or STATE_LABELS.get(state, "")
    return {"colour": STATE_COLOURS.get(state, "grey"), "label": label or state}


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (for dicts keyed by a variable)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def in_sentence(label: object) -> str:
    """``{{ label|in_sentence }}``: a label inside a sentence, acronyms kept (never ``lower``,
    which reads "DEA" as "dea" to a screen reader)."""
    return _in_sentence(label)


@register.filter
def errors_of(messages: Any) -> list[dict[str, str]]:
    """The error messages of a request (a refused step, a refused upload), for the page's
    error summary: each with the field it is about (from the ``field-<name>`` tag), if any."""
    problems = []
    for message in messages:
        if message.level_tag != "error":
            continue
        field = next(
            (
                tag[len("field-") :]
                for tag in message.extra_tags.split()
                if tag.startswith("field-")
            ),
            "",
        )
        problems.append({"text": str(message), "field": field})
    return problems
