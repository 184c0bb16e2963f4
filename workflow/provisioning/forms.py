"""The ops page's form for a webhook receiver (the service validates the address)."""

from __future__ import annotations

from django import forms

from workflow.provisioning.models import ChangeKind


class WebhookReceiverForm(forms.Form):
    url = forms.CharField(
        label="Address",
        max_length=500,
        help_text="An https:// address of the secure environment (http:// only on a private "
        "network you trust).",
    )
    kinds = forms.MultipleChoiceField(
        label="Changes to send",
        choices=ChangeKind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one kind of change."},
    )
    description = forms.CharField(label="Description (optional)", max_length=200, required=False)
