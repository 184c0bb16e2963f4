"""Forms of the identity pages (registration, your account, vouching). They parse what a
person typed; the services check every rule."""

from __future__ import annotations

from django import forms

from access.models import Organisation
from core.forms import Form
from core.text import single_line


class OrganisationField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name


def _organisations() -> forms.ModelChoiceField:
    return OrganisationField(
        label="Your organisation",
        queryset=Organisation.objects.order_by("name"),
        to_field_name="slug",
        empty_label="Choose your organisation",
        help_text="It is asked to confirm that you work there before you can be named on an "
        "application.",
    )


class RegisterForm(Form):
    full_name = forms.CharField(label="Full name", max_length=200, validators=[single_line])
    email = forms.EmailField(
        label="Email address",
        help_text="Your work address. We send a link to it to finish registering.",
    )
    organisation = _organisations()


class ChoosePasswordForm(Form):
    password = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not a common password, not only numbers.",
    )


class AffiliationForm(Form):
    organisation = _organisations()
    position = forms.CharField(
        label="Your post (optional)",
        max_length=200,
        required=False,
        validators=[single_line],
        help_text="For example Research fellow.",
    )


class OrcidForm(Form):
    orcid = forms.CharField(
        label="ORCID iD",
        max_length=40,
        required=False,
        validators=[single_line],
        help_text="For example 0000-0002-1825-0097. Shown as unverified unless you sign in "
        "through ORCID.",
    )


class LeftForm(Form):
    reason = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: left on 31 October. The person reads it.",
        error_messages={"required": "Enter what happened."},
    )
