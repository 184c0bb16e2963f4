"""The catalogue's codes in plain words, for templates."""

from __future__ import annotations

from django import template

from catalogue.models import OutputsAllowed, Purpose, Sensitivity

register = template.Library()


@register.filter
def purpose_labels(codes) -> list[str]:
    return [Purpose(c).label if c in Purpose.values else c for c in codes or ()]


@register.filter
def sensitivity_label(code: str) -> str:
    return Sensitivity(code).label if code in Sensitivity.values else code


@register.filter
def outputs_label(code: str) -> str:
    return OutputsAllowed(code).label if code in OutputsAllowed.values else code
