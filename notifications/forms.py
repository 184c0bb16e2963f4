from __future__ import annotations

from django import forms

from core.forms import Form, hints
from notifications.models import EmailMode


class PreferenceForm(Form):
    email_mode = hints(
        forms.ChoiceField(
            label="How do you want to hear about changes by email?",
            choices=EmailMode.choices,
            widget=forms.RadioSelect,
            help_text="Every notification is always in your inbox here, whatever you choose.",
        ),
        {
            EmailMode.IMMEDIATE: "An email for each notification, as it happens.",
            EmailMode.DAILY_DIGEST: "One email each morning listing the day's notifications.",
            EmailMode.OFF: "No email: check your inbox here.",
        },
    )
