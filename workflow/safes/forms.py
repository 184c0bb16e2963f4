"""Forms of the Five Safes: safeguards, reviewers' verdicts, evidence and verification of
conditions, the public-benefit answers and panel scores."""

from __future__ import annotations

from typing import Any

from django import forms

from core.forms import DATE, Form, choice_field
from core.text import in_sentence
from core.web import lines
from workflow.models import Condition, ConditionTiming, Safe, Verdict
from workflow.safes import public_benefit_framework as pb


class SafeVerdictForm(Form):
    """A reviewer's verdict on one safe. Prefixed with the safe, so five sit on one page."""

    verdict = forms.ChoiceField(
        label="Verdict", choices=[], widget=forms.RadioSelect, required=False
    )
    rationale = forms.CharField(
        label="Reasons", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    conditions = forms.CharField(
        label="Conditions (met with conditions only)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line. Each becomes an obligation the team must meet.",
    )
    timing = forms.ChoiceField(
        label="When must they be met?",
        choices=[],
        widget=forms.RadioSelect,
        required=False,
    )
    due_date = forms.DateField(label="Due date (optional)", required=False, widget=DATE)

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        choice_field(self, "verdict").choices = Verdict.choices
        choice_field(self, "timing").choices = ConditionTiming.choices
        self.fields["timing"].initial = ConditionTiming.BEFORE_ACCESS
        # Five forms share the page: each label names its safe.
        if self.prefix in Safe.values:
            safe = in_sentence(Safe(self.prefix).label)
            self.fields["verdict"].label = f"Your verdict on {safe}"
            self.fields["rationale"].label = f"Reasons for the verdict on {safe}"
            self.fields["conditions"].label = f"Conditions on {safe} (met with conditions only)"

    def conditions_for_service(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {"text": text, "timing": data["timing"] or None, "due_date": data["due_date"]}
            for text in lines(data["conditions"])
        ]


class EvidenceForm(Form):
    evidence = forms.CharField(
        label="How is it met?",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Staff read it before they verify the condition.",
    )

    def __init__(self, data: Any = None, *, condition: Condition, **kwargs: Any) -> None:
        super().__init__(data, prefix=f"evidence-{condition.pk}", **kwargs)


class VerifyForm(Form):
    note = forms.CharField(
        label="Note (optional if the team gave evidence)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, data: Any = None, *, condition: Condition, **kwargs: Any) -> None:
        super().__init__(data, prefix=f"verify-{condition.pk}", **kwargs)


FACTOR_RATING_LABELS = [
    ("met", "Met"),
    ("partly", "Partly met"),
    ("not_met", "Not met"),
    ("n_a", "Not applicable"),
]


SCORE_CHOICES = [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5"), ("na", "N/A")]


def _key(question_id: str) -> str:
    """A form field name for a framework id ("1.1" → "1_1"): dots do not belong in ids."""
    return question_id.replace(".", "_")


class PublicBenefitAnswersForm(Form):
    """The team's answers: each factor of the three tests rated with a narrative, the 18-question
    scale (1 to 5, or not applicable with a reason) and the benefit dimensions. The wording of
    every question is the framework's (``workflow.public_benefit``)."""

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.factor_rows = []
        for test in pb.TESTS.values():
            rows = []
            for factor in test["factors"]:
                fid = factor["id"]
                self.fields[f"rating_{fid}"] = forms.ChoiceField(
                    label=f"{fid}: {factor['factor']}",
                    choices=FACTOR_RATING_LABELS,
                    required=False,
                    widget=forms.RadioSelect,
                    help_text=factor["questions"],
                )
                self.fields[f"narrative_{fid}"] = forms.CharField(
                    label=f"{fid}: how the project meets it",
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
                rows.append((self[f"rating_{fid}"], self[f"narrative_{fid}"]))
            self.factor_rows.append({"label": test["label"], "intro": test["intro"], "rows": rows})
        self.scale_rows = []
        for q in pb.SCALE:
            key = _key(q["id"])
            self.fields[f"score_{key}"] = forms.ChoiceField(
                label=f"{q['id']}: {q['question']}",
                choices=SCORE_CHOICES,
                required=False,
                widget=forms.RadioSelect,
                help_text=f"1: {q['left']}. 5: {q['right']}.",
            )
            self.fields[f"na_{key}"] = forms.CharField(
                label=f"{q['id']}: why it does not apply (if N/A)", required=False
            )
            self.scale_rows.append((self[f"score_{key}"], self[f"na_{key}"]))
        self.fields["benefits"] = forms.MultipleChoiceField(
            label="Who benefits, and how?",
            required=False,
            widget=forms.CheckboxSelectMultiple,
            choices=[(b["id"], f"{b['group']}: {b['dimension']}") for b in pb.BENEFITS],
        )

    @staticmethod
    def initial_from(assessment) -> dict:
        if assessment is None:
            return {}
        initial: dict = {"benefits": list(assessment.benefits)}
        for fid, answer in assessment.tests.items():
            initial[f"rating_{fid}"] = answer.get("rating")
            initial[f"narrative_{fid}"] = answer.get("narrative", "")
        for qid, answer in assessment.scale.items():
            score = answer.get("score")
            initial[f"score_{_key(qid)}"] = "na" if score is None else str(score)
            initial[f"na_{_key(qid)}"] = answer.get("na_reason", "")
        return initial

    def data_for_service(self) -> tuple[dict, dict[str, str]]:
        """What was answered, in the service's shape, and which field each error path names."""
        data = self.cleaned_data
        tests, scale, field_map = {}, {}, {}
        for fid in sorted(pb.FACTOR_IDS):
            if data.get(f"rating_{fid}"):
                tests[fid] = {
                    "rating": data[f"rating_{fid}"],
                    "narrative": data.get(f"narrative_{fid}", ""),
                }
            field_map[f"tests.{fid}.rating"] = f"rating_{fid}"
        for qid in pb.SCALE_IDS:
            key = _key(qid)
            score = data.get(f"score_{key}")
            if score:
                scale[qid] = {
                    "score": None if score == "na" else int(score),
                    "na_reason": data.get(f"na_{key}", ""),
                }
            field_map[f"scale.{qid}.score"] = f"score_{key}"
            field_map[f"scale.{qid}.na_reason"] = f"na_{key}"
        return {"tests": tests, "scale": scale, "benefits": data["benefits"]}, field_map


class PublicBenefitScoreForm(Form):
    """A panel member's own scores of the 18 questions."""

    comment = forms.CharField(
        label="Comment (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.scale_fields = []
        for q in pb.SCALE:
            key = _key(q["id"])
            self.fields[f"score_{key}"] = forms.ChoiceField(
                label=f"{q['id']}: {q['question']}",
                choices=SCORE_CHOICES,
                required=False,
                widget=forms.RadioSelect,
                help_text=f"1: {q['left']}. 5: {q['right']}.",
            )
            self.scale_fields.append(self[f"score_{key}"])

    def scores(self) -> dict:

        out = {}
        for qid in pb.SCALE_IDS:
            value = self.cleaned_data.get(f"score_{_key(qid)}")
            if value and value != "na":
                out[qid] = int(value)
        return out
