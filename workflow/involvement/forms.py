"""Page forms of public involvement; the services check every rule."""

from __future__ import annotations

from django import forms

from core.forms import DATE, Form
from workflow.models import InvolvementStatus


class FlagForm(Form):
    high = forms.TypedChoiceField(
        label="Is the project likely to be of high public interest?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select whether the project is likely to be of high public interest."
        },
        help_text="For example, it uses identifiable or sensitive data about many people, or "
        "its findings may change public services.",
    )
    reason = forms.CharField(
        label="Why?",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why the public is, or is not, likely to be interested."},
        help_text="The panels read this beside the public-benefit assessment.",
    )


class RequireForm(Form):
    reason = forms.CharField(
        label="What public involvement do you expect, and why?",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say what public involvement you expect, and why."},
        help_text="The team is told, and the project is marked as of high public interest.",
    )


class ActivityForm(Form):
    status = forms.ChoiceField(
        label="Has this involvement taken place?",
        choices=[
            (InvolvementStatus.DONE, "Yes, it is done"),
            (InvolvementStatus.PLANNED, "No, it is planned"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the involvement is done or planned."},
    )
    held_on = forms.DateField(
        label="When did it take place, or when is it planned?",
        widget=DATE,
        error_messages={"required": "Enter the date it took place, or is planned."},
        help_text="For example, 27 3 2026",
    )
    who = forms.CharField(
        label="Who took part?",
        max_length=300,
        error_messages={"required": "Say who took part."},
        help_text="For example, the TRE's consumer panel (8 members) or a patient charity.",
    )
    what = forms.CharField(
        label="What did you ask or discuss?",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say what you asked or discussed."},
    )
    what_changed = forms.CharField(
        label="What changed in the project as a result?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed for involvement that is done. If nothing changed, say why.",
    )


class ConsultationForm(Form):
    question = forms.CharField(
        label="What would you like the consumer panel's view on?",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write what you would like the consumer panel's view on."},
        help_text="The panel are members of the public: write in plain words. They read your "
        "lay summary and public benefit statement with your question.",
    )


class FeedbackForm(Form):
    feedback = forms.CharField(
        label="The consumer panel's feedback",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Write the consumer panel's feedback."},
        help_text="The team and the review panels read it, beside the public-benefit assessment.",
    )
