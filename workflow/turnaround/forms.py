"""Forms of turnaround: a stage's target, and the filters of the turnaround dashboard."""

from __future__ import annotations

from django import forms

from catalogue.models import Dataset
from core.forms import DATE, Form, choice_field
from workflow.models import DayUnit


class StageTargetForm(Form):
    days = forms.IntegerField(label="Target", min_value=1, max_value=365)
    unit = forms.ChoiceField(label="Counted in", choices=[], widget=forms.RadioSelect)
    due_soon_days = forms.IntegerField(
        label="Remind the holder this many days before it is due", min_value=0, max_value=365
    )
    escalate_after_days = forms.IntegerField(
        label="Tell ops once it is overdue by this many days (optional)",
        min_value=0,
        max_value=365,
        required=False,
        help_text="Leave empty never to escalate.",
    )
    effective_from = forms.DateField(
        label="In force from (optional)",
        required=False,
        widget=DATE,
        help_text="Leave empty for from now. Stages and review tracks that started before keep "
        "the target they started under.",
    )

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        choice_field(self, "unit").choices = DayUnit.choices


class TurnaroundFilterForm(Form):
    """The dashboard's filters, read from the query string (a GET form)."""

    start = forms.DateField(label="From", required=False, widget=DATE)
    end = forms.DateField(label="To", required=False, widget=DATE)
    route = forms.ChoiceField(
        label="Route",
        required=False,
        choices=[
            ("", "All routes"),
            ("standard", "Standard"),
            ("dea", "Digital Economy Act (DEA panel)"),
        ],
    )
    dataset = forms.ChoiceField(label="Dataset", required=False, choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "dataset").choices = [
            ("", "All datasets"),
            *Dataset.objects.order_by("title").values_list("slug", "title"),
        ]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The period must end after it starts.")
        return data
