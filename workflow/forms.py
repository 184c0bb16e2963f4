"""The web pages' forms. They parse what a person typed into the shapes the services take;
the services check every rule. ``why`` on a field is the plain-words reason it is asked."""

from __future__ import annotations

from django import forms

from access.models import Organisation, User
from access.web import lines
from catalogue.models import Dataset, Purpose
from workflow.models import (
    LegalGateway,
    MeetingMedium,
    Outcome,
    ProjectRole,
    Route,
    Section,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _why(field: forms.Field, text: str) -> forms.Field:
    field.why = text
    return field


def _hints(field: forms.Field, hints: dict) -> forms.Field:
    field.option_hints = hints
    return field


# --- the application, section by section ---------------------------------------------------


class SummaryForm(forms.Form):
    title = _why(
        forms.CharField(label="Project title", max_length=250),
        "The title appears in the public register of approved projects and in every message "
        "about your application.",
    )
    lay_summary = _why(
        forms.CharField(
            label="Lay summary",
            required=False,
            widget=forms.Textarea(attrs={"rows": 8}),
            help_text="Write for someone with no research background, in up to 300 words.",
        ),
        "It is published so that the public can see how data about them are used. Panels "
        "include lay members who read it first.",
    )


class ResearchQuestionForm(forms.Form):
    research_question = _why(
        forms.CharField(
            label="What is your research question?",
            required=False,
            widget=forms.Textarea(attrs={"rows": 6}),
        ),
        "The analyst uses it to choose the datasets and variables that can answer it, and the "
        "panels to judge whether the data asked for are needed and no more.",
    )


class PublicBenefitForm(forms.Form):
    public_benefit = _why(
        forms.CharField(
            label="How will the public benefit?",
            required=False,
            widget=forms.Textarea(attrs={"rows": 6}),
        ),
        "Data about people are used for research only in the public interest: the panels weigh "
        "this benefit against the privacy risk.",
    )


class PurposeForm(forms.Form):
    purpose = _why(
        forms.ChoiceField(
            label="What is the purpose of the project?",
            choices=Purpose.choices,
            required=False,
            widget=forms.RadioSelect,
        ),
        "Data owners approve some uses in advance by purpose: a project within such a category "
        "does not wait for the owner's sign-off.",
    )
    route = _why(
        _hints(
            forms.ChoiceField(
                label="Which route is it?",
                choices=Route.choices,
                initial=Route.STANDARD,
                widget=forms.RadioSelect,
            ),
            {
                Route.STANDARD: "A research project with a defined question.",
                Route.EXPLORATORY: "A short feasibility study under the Digital Economy Act.",
            },
        ),
        "Exploratory projects are time-boxed and reviewed under the Digital Economy Act's rules.",
    )


class DatesForm(forms.Form):
    start_date = _why(
        forms.DateField(label="Start date", required=False, widget=DATE),
        "Access is granted for the project's dates only.",
    )
    end_date = forms.DateField(label="End date", required=False, widget=DATE)
    funder = _why(
        forms.CharField(label="Funder", max_length=200, required=False),
        "The funder is published in the register with the project.",
    )
    lead_organisation = _why(
        forms.ModelChoiceField(
            label="Lead organisation",
            queryset=Organisation.objects.order_by("name"),
            required=False,
            empty_label="Choose an organisation",
            help_text="The legal entity that will sign the data access agreement.",
        ),
        "The agreement to use the data is made with an organisation, not a person.",
    )


SECTION_FORMS: dict[str, type[forms.Form]] = {
    Section.SUMMARY: SummaryForm,
    Section.RESEARCH_QUESTION: ResearchQuestionForm,
    Section.PUBLIC_BENEFIT: PublicBenefitForm,
    Section.PURPOSE: PurposeForm,
    Section.DATES: DatesForm,
}


class NewApplicationForm(forms.Form):
    title = _why(
        forms.CharField(label="What is your project called?", max_length=250),
        "You can change it later. It names your application until you submit it.",
    )


class TeamMemberForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="They need an account here. They will see the application and can edit it.",
    )
    project_role = forms.ChoiceField(
        label="Their role in the project",
        choices=[c for c in ProjectRole.choices if c[0] != ProjectRole.PRINCIPAL_INVESTIGATOR],
        widget=forms.RadioSelect,
        initial=ProjectRole.RESEARCHER,
    )

    def clean_email(self) -> User:
        email = self.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                "There is no account with that email address: ask them to register first."
            )
        return user


class AddDatasetForm(forms.Form):
    dataset = forms.ModelChoiceField(
        label="Dataset",
        queryset=Dataset.objects.select_related("provider").order_by("title"),
        empty_label="Choose a dataset",
        to_field_name="slug",
    )
    legal_gateway = _why(
        forms.ChoiceField(
            label="Legal gateway",
            choices=LegalGateway.choices,
            widget=forms.RadioSelect,
            help_text="The legal route by which the data are shared with you.",
        ),
        "Data held by bodies with health-service functions cannot be shared under the Digital "
        "Economy Act; choosing it there is refused. The DEA gateway adds the DEA panel's review.",
    )
    justification = _why(
        forms.CharField(
            label="Why does the project need this dataset?",
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
        ),
        "Only the data a project needs are shared (data minimisation).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].label_from_instance = lambda d: f"{d.title} ({d.provider.name})"


class DatasetRequestForm(forms.Form):
    """One requested dataset: its gateway, why, which variables and, for each variable that
    can identify a person, why that one is needed."""

    legal_gateway = AddDatasetForm.base_fields["legal_gateway"]
    justification = AddDatasetForm.base_fields["justification"]
    variables = _why(
        forms.MultipleChoiceField(
            label="Which variables do you need?",
            required=False,
            widget=forms.CheckboxSelectMultiple,
        ),
        "Ask for what your question needs. Each variable that could identify a person needs "
        "its own reason.",
    )

    def __init__(self, *args, dataset: Dataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset = dataset
        self.variable_list = list(dataset.variables.order_by("name"))
        self.fields["variables"].choices = [
            (v.name, f"{v.name}{' (can identify a person)' if v.is_identifying else ''}")
            for v in self.variable_list
        ]
        self.fields["variables"].option_hints = {v.name: v.description for v in self.variable_list}
        for v in self.variable_list:
            if v.is_identifying:
                self.fields[f"why_{v.name}"] = forms.CharField(
                    label=f"Why do you need {v.name}?",
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                    help_text="Only if you ask for it: it can identify a person.",
                )

    @property
    def identifying_fields(self):
        return [self[f"why_{v.name}"] for v in self.variable_list if v.is_identifying]

    def entry(self) -> dict:
        """This dataset in the shape ``application_update`` takes."""
        data = self.cleaned_data
        return {
            "dataset": self.dataset,
            "legal_gateway": data["legal_gateway"],
            "justification": data["justification"],
            "variables": [
                {"variable": name, "justification": data.get(f"why_{name}", "")}
                for name in data["variables"]
            ],
        }


# --- feedback --------------------------------------------------------------------------------

FEEDBACK_SECTIONS = [("", "Choose a section"), *Section.choices]


class FeedbackComposerForm(forms.Form):
    """A request for changes: a summary and any number of points, each tied to a section.

    Without JavaScript, "Add another point" posts the form back with one more row."""

    summary = forms.CharField(
        label="Summary for the applicant (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    rows = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=50, initial=1)

    def __init__(self, *args, rows: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_count = rows
        for i in range(rows):
            self.fields[f"item_{i}_section"] = forms.ChoiceField(
                label=f"Point {i + 1}: section", choices=FEEDBACK_SECTIONS, required=False
            )
            self.fields[f"item_{i}_text"] = forms.CharField(
                label=f"Point {i + 1}: what needs to change",
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @property
    def row_fields(self):
        return [(self[f"item_{i}_section"], self[f"item_{i}_text"]) for i in range(self.row_count)]

    def items(self) -> tuple[list[dict], dict[str, str]]:
        """The points given (rows left empty are skipped) and, for error messages, which form
        fields each point's ``items.N.*`` refers to."""
        items, field_map = [], {"items": "item_0_text"}
        for i in range(self.row_count):
            section = self.cleaned_data.get(f"item_{i}_section", "")
            text = self.cleaned_data.get(f"item_{i}_text", "")
            if not section and not text.strip():
                continue
            n = len(items)
            field_map[f"items.{n}.section"] = f"item_{i}_section"
            field_map[f"items.{n}.text"] = f"item_{i}_text"
            items.append({"section": section, "text": text})
        return items, field_map


class FeedbackAnswerForm(forms.Form):
    response = forms.CharField(label="Your answer", widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, prefix=f"item-{item.pk}", **kwargs)


# --- steps of the route ----------------------------------------------------------------------


class EmptyForm(forms.Form):
    pass


class NoteForm(forms.Form):
    reason = forms.CharField(
        label="Note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the timeline of the application.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The applicant reads it, and it is kept in the timeline.",
    )


class ScopingForm(forms.Form):
    scoped_variables = _why(
        forms.MultipleChoiceField(
            label="Variables in scope",
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text="From the data dictionary of the requested datasets. The request must "
            "stay within these to complete scoping.",
        ),
        "Scoping agrees the smallest set of variables that answers the question.",
    )
    refined_research_question = forms.CharField(
        label="Refined research question", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    linkage_needs = forms.CharField(
        label="Linkage needs", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    feasibility_notes = forms.CharField(
        label="Feasibility notes", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    feasible = forms.ChoiceField(
        label="Can the data answer the question?",
        required=False,
        choices=[("", "Not decided yet"), ("yes", "Yes, it is feasible"), ("no", "No")],
        widget=forms.RadioSelect,
    )
    support_needed = forms.CharField(
        label="Support the team needs", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    meeting_medium = forms.ChoiceField(
        label="Scoping meeting",
        required=False,
        choices=[("", "No meeting"), *MeetingMedium.choices],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, variables, is_analyst: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.variable_map = {str(v.pk): v for v in variables}
        self.fields["scoped_variables"].choices = [
            (str(v.pk), f"{v.dataset.slug}.{v.name}{' (can identify a person)' * v.is_identifying}")
            for v in variables
        ]
        self.fields["scoped_variables"].option_hints = {str(v.pk): v.description for v in variables}
        if not is_analyst:
            del self.fields["feasible"]

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data["scoped_variables"] = [self.variable_map[pk] for pk in data["scoped_variables"]]
        if "feasible" in data:
            data["feasible"] = {"yes": True, "no": False}.get(data["feasible"])
        return data


class AssignAnalystForm(forms.Form):
    analyst = forms.ModelChoiceField(
        label="Analyst",
        queryset=User.objects.filter(is_active=True, role_assignments__role="analyst").order_by(
            "full_name"
        ),
        empty_label="Choose an analyst",
    )


# --- review tracks ---------------------------------------------------------------------------


class ConditionsField(forms.CharField):
    """Conditions, one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        return lines(super().to_python(value))


class VoteForm(forms.Form):
    choice = forms.ChoiceField(label="Your vote", choices=Outcome.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        label="Your reasons",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed for anything but approve. The chair and the other members read them.",
    )
    conditions = ConditionsField(
        label="Conditions you propose",
        required=False,
        help_text="One condition per line. Needed with approve with conditions.",
    )


class ConflictForm(forms.Form):
    reason = forms.CharField(
        label="What is the conflict of interest?",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example, you work with the applicant or on a competing project.",
    )


class TrackDecisionForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=Outcome.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        label="Reasons",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The applicant reads them in the decision letter.",
    )
    conditions = ConditionsField(
        label="Conditions", required=False, help_text="One condition per line."
    )

    def __init__(self, *args, owner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if owner:
            self.fields["outcome"].label = "Your decision"
            self.fields["outcome"].choices = [
                (Outcome.APPROVED, "Sign off"),
                (Outcome.APPROVED_WITH_CONDITIONS, "Sign off with conditions"),
                (Outcome.REJECTED, "Refuse"),
            ]


# --- safeguards (the Five Safes the team declares) -------------------------------------------

YES_NO = [("yes", "Yes"), ("no", "No")]


class SafeguardsForm(forms.Form):
    """Ethics approval, intended outputs, TRE-only access and the disclosure-control rules.
    The minimum cell count comes from the settings (``DISCLOSURE_MIN_CELL_COUNT``)."""

    ethics_committee = _why(
        forms.CharField(label="Research ethics committee", max_length=200, required=False),
        "Projects using the DEA research gateway or asking for data that can identify a person "
        "need a research ethics committee's approval before the panels see them.",
    )
    ethics_reference = forms.CharField(
        label="Ethics approval reference", max_length=100, required=False
    )
    ethics_approved_on = forms.DateField(
        label="Date of the ethics approval", required=False, widget=DATE
    )
    intended_outputs = _why(
        forms.CharField(
            label="What will the project take out of the TRE?",
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text="For example aggregate tables, figures, model coefficients.",
        ),
        "Everything leaving the TRE is checked for disclosure: saying now what you expect to "
        "take out lets the output checkers plan, and the panels judge the risk.",
    )
    access_inside_tre_only = _why(
        forms.ChoiceField(
            label="Will the team use the data only inside the TRE, with no download?",
            choices=YES_NO,
            required=False,
            widget=forms.RadioSelect,
        ),
        "The data never leave the TRE: researchers work on them remotely, inside it.",
    )
    acknowledge_disclosure_rules = forms.BooleanField(required=False)

    def __init__(self, *args, min_cell_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["acknowledge_disclosure_rules"].label = (
            f"The team will not take out any result with a cell count below {min_cell_count}, "
            "nor any individual-level data"
        )
        self.fields["acknowledge_disclosure_rules"].why = (
            "Small counts can identify people. This is the TRE's disclosure-control rule; "
            "outputs that break it are refused."
        )

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data["access_inside_tre_only"] = {"yes": True, "no": False}.get(
            data["access_inside_tre_only"]
        )
        return data


# --- the Five Safes, conditions, the agreement ------------------------------------------------


class SafeVerdictForm(forms.Form):
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
        from workflow.models import ConditionTiming, Safe, Verdict

        super().__init__(*args, **kwargs)
        self.fields["verdict"].choices = Verdict.choices
        self.fields["timing"].choices = ConditionTiming.choices
        self.fields["timing"].initial = ConditionTiming.BEFORE_ACCESS
        # Five forms share the page: each label names its safe.
        if self.prefix in Safe.values:
            safe = Safe(self.prefix).label.lower()
            self.fields["verdict"].label = f"Your verdict on {safe}"
            self.fields["rationale"].label = f"Reasons for the verdict on {safe}"
            self.fields["conditions"].label = f"Conditions on {safe} (met with conditions only)"

    def conditions_for_service(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {"text": text, "timing": data["timing"] or None, "due_date": data["due_date"]}
            for text in lines(data["conditions"])
        ]


class EvidenceForm(forms.Form):
    evidence = forms.CharField(
        label="How is it met?",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Staff read it before they verify the condition.",
    )

    def __init__(self, *args, condition, **kwargs):
        super().__init__(*args, prefix=f"evidence-{condition.pk}", **kwargs)


class VerifyForm(forms.Form):
    note = forms.CharField(
        label="Note (optional if the team gave evidence)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, condition, **kwargs):
        super().__init__(*args, prefix=f"verify-{condition.pk}", **kwargs)


# --- operations: stage targets and the turnaround filters -------------------------------------


class StageTargetForm(forms.Form):
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

    def __init__(self, *args, **kwargs):
        from workflow.models import DayUnit

        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = DayUnit.choices


class TurnaroundFilterForm(forms.Form):
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
        self.fields["dataset"].choices = [
            ("", "All datasets"),
            *Dataset.objects.order_by("title").values_list("slug", "title"),
        ]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The period must end after it starts.")
        return data


# --- public benefit (advisory) ----------------------------------------------------------------

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


class PublicBenefitAnswersForm(forms.Form):
    """The team's answers: each factor of the three tests rated with a narrative, the 18-question
    scale (1 to 5, or not applicable with a reason) and the benefit dimensions. The wording of
    every question is the framework's (``workflow.public_benefit``)."""

    def __init__(self, *args, **kwargs):
        from workflow import public_benefit as pb

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
        from workflow import public_benefit as pb

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


class PublicBenefitScoreForm(forms.Form):
    """A panel member's own scores of the 18 questions."""

    comment = forms.CharField(
        label="Comment (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        from workflow import public_benefit as pb

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
        from workflow import public_benefit as pb

        out = {}
        for qid in pb.SCALE_IDS:
            value = self.cleaned_data.get(f"score_{_key(qid)}")
            if value and value != "na":
                out[qid] = int(value)
        return out
