"""Forms of the safe-people pages. They parse what a person typed into the shapes the services
take; the services check every rule. ``why`` on a field is the plain-words reason it is asked."""

from __future__ import annotations

from django import forms

from access.models import AccreditationKind, User
from core.forms import DATE, Form, hints, why
from core.text import single_line

KIND_HINTS = {
    AccreditationKind.SAFE_RESEARCHER: "Every project needs it. Renewed every two years.",
    AccreditationKind.DEA_FULL: "Projects using the Digital Economy Act research gateway. "
    "Five years.",
    AccreditationKind.DEA_PROVISIONAL: "For researchers building experience, with a fully "
    "accredited supervisor at your organisation. Three years.",
}


class AccreditationApplyForm(Form):
    kind = forms.ChoiceField(
        label="Which accreditation?", choices=AccreditationKind.choices, widget=forms.RadioSelect
    )
    # The officer checks the certificate against the issuer's records: both are needed.
    issuer = forms.CharField(
        label="Who awarded it?",
        max_length=200,
        validators=[single_line],
        error_messages={"required": "Enter who awarded the certificate."},
        help_text="For example ONS Safe Researcher Training, or the UK Statistics Authority.",
    )
    certificate_number = forms.CharField(
        label="Certificate number",
        max_length=100,
        validators=[single_line],
        error_messages={"required": "Enter the certificate number."},
    )
    issued_on = forms.DateField(label="Date issued", widget=DATE)
    expires_on = forms.DateField(
        label="Expiry date (optional)",
        required=False,
        widget=DATE,
        help_text="Leave blank to use the usual validity of this kind.",
    )
    supervisor_email = forms.EmailField(
        label="Supervisor's email address (provisional DEA accreditation only)",
        required=False,
        help_text="A fully accredited DEA researcher at your organisation.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hints(self.fields["kind"], KIND_HINTS)
        why(
            self.fields["kind"],
            "Safe people: only trained, accredited researchers use the data. The accreditation "
            "officer checks the certificate against the issuer's records.",
        )

    def clean_supervisor_email(self) -> User | None:
        email = self.cleaned_data.get("supervisor_email", "").strip()
        if not email:
            return None
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError("There is no account with that email address.")
        return user

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data["supervisor"] = data.pop("supervisor_email")
        return data


class AccreditationDecisionForm(Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("accredit", "Accredit"), ("refuse", "Refuse")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed to refuse. The researcher reads it.",
    )
