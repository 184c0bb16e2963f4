"""The forms of the lifecycle pages (the services validate again: these shape input)."""

from __future__ import annotations

from typing import Any

from django import forms

from core.forms import DATE, Form
from workflow.models import Acceptor

YES_NO = [("yes", "Yes"), ("no", "No")]


class ReportForm(Form):
    outputs = forms.CharField(
        label="Outputs and publications since the last report",
        help_text="Papers, reports, talks, code, with links where there are any. Write “None” "
        "if there are none yet.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    team_changes = forms.CharField(
        label="Changes to the team",
        help_text="Who joined or left. Write “No changes” if none. People joining need an "
        "amendment.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    incidents = forms.CharField(
        label="Incidents or breaches",
        help_text="Anything that went wrong with the data or its safeguards. Write “None” if "
        "nothing did.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    data_still_needed = forms.ChoiceField(
        label="Does the project still need the data?", choices=YES_NO, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, points: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.points = points or []
        for index, point in enumerate(self.points):
            self.fields[f"point_{index}"] = forms.CharField(
                label=f"Your answer to: {point}", widget=forms.Textarea(attrs={"rows": 3})
            )

    def data_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "outputs": data["outputs"],
            "team_changes": data["team_changes"],
            "incidents": data["incidents"],
            "data_still_needed": data["data_still_needed"] == "yes",
            "point_answers": [data[f"point_{i}"] for i in range(len(self.points))],
        }


class RequestMoreForm(Form):
    points = forms.CharField(
        label="What the team must add or explain",
        help_text="One point a line. Every point is sent at once; the team answers each.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def point_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["points"].splitlines() if line.strip()]


class AcceptForm(Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the report's history.",
    )


class ClosureForm(Form):
    outputs = forms.CharField(
        label="The project's outputs",
        help_text="One a line, with a link where there is one: lines with a link are listed on "
        "the public register. Write “None” if there were none.",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    destruction_details = forms.CharField(
        label="How were the copies outside the TRE destroyed?",
        help_text="Where they were and how they were erased, or say that no copy left the TRE.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    destroyed_on = forms.DateField(
        label="When were they destroyed?",
        help_text="For example, 27 11 2026",
        widget=DATE,
        required=False,
    )
    destruction_attested = forms.BooleanField(
        label="I attest that every copy of the data held outside the TRE has been destroyed",
        required=False,
    )


class SendBackForm(Form):
    reason = forms.CharField(
        label="What must the principal investigator change?",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SettingsForm(Form):
    report_period_months = forms.IntegerField(
        label="Months between progress reports", min_value=1, max_value=365
    )
    grace_days = forms.IntegerField(
        label="Grace period, in days",
        help_text="A report the team still owes this many days after its due date suspends access.",
        min_value=0,
        max_value=365,
    )
    report_reminder_days = forms.CharField(
        label="Report reminders, days before it is due", help_text="For example, 30,14,1"
    )
    escalate_after_days = forms.IntegerField(
        label="Escalate to ops, days after a report is due", min_value=0, max_value=365
    )
    renewal_reminder_days = forms.CharField(
        label="Renewal reminders, days before the project ends", help_text="For example, 90,30,14"
    )
    accepted_by = forms.ChoiceField(
        label="Who accepts progress reports?", choices=Acceptor.choices, widget=forms.RadioSelect
    )
