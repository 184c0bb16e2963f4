"""The web pages' forms. They parse what a person typed into the shapes the services take;
the services check every rule. ``why`` on a field is the plain-words reason it is asked."""

from __future__ import annotations

from typing import Any

from django import forms

from access.models import Organisation, User
from catalogue.models import Dataset
from core.forms import DATE, YES_NO, Form, choice_field, hints, reveals, why
from core.text import single_line
from workflow.models import (
    MAX_FEEDBACK_ITEMS,
    FeedbackItem,
    LegalGateway,
    MeetingMedium,
    ProjectRole,
    Section,
)
from workflow.route.content import PARTS, Part, Question


def _field(question: Question) -> forms.Field:
    """The form field that asks ``question`` (from the content spec)."""
    # A question submission does not need (no "missing" message, not always asked) is marked
    # optional, as GOV.UK asks; the others are needed before the application can be submitted.
    optional = not question.missing and not question.always and question.default is None
    label = f"{question.label} (optional)" if optional else question.label
    common: dict = {"label": label, "help_text": question.hint}
    if question.kind == "line":
        made: forms.Field = forms.CharField(
            max_length=question.max_length,
            required=question.always,
            validators=[single_line],
            **common,
        )
    elif question.kind == "text":
        made = forms.CharField(
            required=False, widget=forms.Textarea(attrs={"rows": question.rows}), **common
        )
    elif question.kind == "choice":
        assert question.choices is not None  # noqa: S101 - the spec names them
        made = forms.ChoiceField(
            choices=question.choices.choices,
            required=question.always,
            initial=question.default,
            widget=forms.RadioSelect,
            **common,
        )
        if question.option_hints:
            made = hints(made, dict(question.option_hints))
    elif question.kind == "date":
        made = forms.DateField(required=False, widget=DATE, **common)
    else:
        made = forms.ModelChoiceField(
            queryset=Organisation.objects.order_by("name"),
            required=False,
            empty_label="Choose an organisation",
            **common,
        )
    return why(made, question.why) if question.why else made


def section_form(part: Part) -> type[forms.Form]:
    """The form of one section of the task list: its questions, in order."""
    fields = {question.name: _field(question) for question in part.questions}
    return type(f"{part.key.title().replace('_', '')}Form", (Form,), fields)


SECTION_FORMS: dict[str, type[forms.Form]] = {
    part.key: section_form(part) for part in PARTS if part.questions
}


class NewApplicationForm(Form):
    title = why(
        forms.CharField(
            label="What is your project called?", max_length=250, validators=[single_line]
        ),
        "You can change it later. It names your application until you submit it.",
    )


class TeamMemberForm(Form):
    email = forms.EmailField(
        label="Email address",
        help_text="They will see the application and can edit it. Someone with no account here "
        "is sent an invitation, and joins once they accept it.",
    )
    project_role = forms.ChoiceField(
        label="Their role in the project",
        choices=[c for c in ProjectRole.choices if c[0] != ProjectRole.PRINCIPAL_INVESTIGATOR],
        widget=forms.RadioSelect,
        initial=ProjectRole.RESEARCHER,
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class DatasetChoiceField(forms.ModelChoiceField):
    """A dataset, named with its provider."""

    def label_from_instance(self, obj: Dataset) -> str:
        return f"{obj.title} ({obj.provider.name})"


class AddDatasetForm(Form):
    dataset = DatasetChoiceField(
        label="Dataset",
        queryset=Dataset.objects.select_related("provider").order_by("title"),
        empty_label="Choose a dataset",
        to_field_name="slug",
    )
    legal_gateway = why(
        forms.ChoiceField(
            label="Legal gateway",
            choices=LegalGateway.choices,
            widget=forms.RadioSelect,
            help_text="The legal route by which the data are shared with you.",
        ),
        "Data held by bodies with health-service functions cannot be shared under the Digital "
        "Economy Act; choosing it there is refused. The DEA gateway adds the DEA panel's review.",
    )
    justification = why(
        forms.CharField(
            label="Why does the project need this dataset?",
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
        ),
        "Only the data a project needs are shared (data minimisation).",
    )


class DatasetRequestForm(Form):
    """One requested dataset: its gateway, why, which variables and, for each variable that
    can identify a person, why that one is needed."""

    legal_gateway = AddDatasetForm.base_fields["legal_gateway"]
    justification = AddDatasetForm.base_fields["justification"]
    variables = why(
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
        field = choice_field(self, "variables")
        field.choices = [
            (v.name, f"{v.name}{' (can identify a person)' if v.is_identifying else ''}")
            for v in self.variable_list
        ]
        hints(field, {v.name: v.description for v in self.variable_list})
        for v in self.variable_list:
            if v.is_identifying:
                self.fields[f"why_{v.name}"] = forms.CharField(
                    label=f"Why do you need {v.name}?",
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                    help_text="It can identify a person, so it needs its own reason.",
                )
        # Each identifying variable's reason is revealed under its checkbox when it is chosen.
        reveals(field, {v.name: f"why_{v.name}" for v in self.variable_list if v.is_identifying})

    def clean(self):
        """An identifying variable is asked for only with its own reason: checked here, where
        it is entered, rather than first at submission."""
        data = super().clean() or {}
        chosen = set(data.get("variables") or ())
        for v in self.variable_list:
            name = f"why_{v.name}"
            if v.is_identifying and v.name in chosen and not (data.get(name) or "").strip():
                self.add_error(name, f"Say why you need {v.name}: it can identify a person.")
        return data

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


class ScopingForm(Form):
    scoped_variables = why(
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
        label="Refined research question (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    linkage_needs = forms.CharField(
        label="Linkage needs (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
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
        label="Support the team needs (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
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
        field = choice_field(self, "scoped_variables")
        field.choices = [
            (str(v.pk), f"{v.dataset.slug}.{v.name}{' (can identify a person)' * v.is_identifying}")
            for v in variables
        ]
        hints(field, {str(v.pk): v.description for v in variables})
        if not is_analyst:
            del self.fields["feasible"]

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data["scoped_variables"] = [self.variable_map[pk] for pk in data["scoped_variables"]]
        if "feasible" in data:
            data["feasible"] = {"yes": True, "no": False}.get(data["feasible"])
        return data


class AssignAnalystForm(Form):
    analyst = forms.ModelChoiceField(
        label="Analyst",
        queryset=User.objects.filter(is_active=True, role_assignments__role="analyst").order_by(
            "full_name"
        ),
        empty_label="Choose an analyst",
    )


FEEDBACK_SECTIONS = [("", "Choose a section"), *Section.choices]


class FeedbackComposerForm(Form):
    """A request for changes: a summary and any number of points, each tied to a section.

    Without JavaScript, "Add another point" posts the form back with one more row."""

    summary = forms.CharField(
        label="Summary for the applicant (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    rows = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_FEEDBACK_ITEMS, initial=1
    )

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
        items: list[dict[str, Any]] = []
        field_map = {"items": "item_0_text"}
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


class FeedbackAnswerForm(Form):
    response = forms.CharField(
        label="Your answer",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write your answer to this point."},
    )

    def __init__(self, data: Any = None, *, item: FeedbackItem, **kwargs: Any) -> None:
        super().__init__(data, prefix=f"item-{item.pk}", **kwargs)
        self.item_id = item.pk


class SafeguardsForm(Form):
    """Ethics approval, intended outputs, TRE-only access and the disclosure-control rules.
    The minimum cell count comes from the settings (``DISCLOSURE_MIN_CELL_COUNT``)."""

    ethics_committee = why(
        forms.CharField(
            label="Research ethics committee",
            max_length=200,
            required=False,
            validators=[single_line],
        ),
        "Projects using the DEA research gateway or asking for data that can identify a person "
        "need a research ethics committee's approval before the panels see them.",
    )
    ethics_reference = forms.CharField(
        label="Ethics approval reference", max_length=100, required=False, validators=[single_line]
    )
    ethics_approved_on = forms.DateField(
        label="Date of the ethics approval", required=False, widget=DATE
    )
    intended_outputs = why(
        forms.CharField(
            label="What will the project take out of the TRE?",
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text="For example aggregate tables, figures, model coefficients.",
        ),
        "Everything leaving the TRE is checked for disclosure: saying now what you expect to "
        "take out lets the output checkers plan, and the panels judge the risk.",
    )
    access_inside_tre_only = why(
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
        why(
            self.fields["acknowledge_disclosure_rules"],
            "Small counts can identify people. This is the TRE's disclosure-control rule; "
            "outputs that break it are refused.",
        )

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data["access_inside_tre_only"] = {"yes": True, "no": False}.get(
            data["access_inside_tre_only"]
        )
        return data


class QueueFilterForm(Form):
    """A work queue's filters (``?stage=&analyst=&q=&late=``). Choices are given by the page:
    the stages of its queue, and (for ops) the analysts."""

    stage = forms.ChoiceField(label="Stage", required=False)
    analyst = forms.ChoiceField(label="Analyst", required=False)
    fields: dict[str, Any]
    q = forms.CharField(
        label="Reference or title", required=False, max_length=100, validators=[single_line]
    )
    late = forms.BooleanField(label="Only late work", required=False)

    def __init__(
        self,
        data: Any,
        *,
        stages: list[tuple[str, str]],
        analysts: list[tuple[str, str]] | None = None,
        waiting_label: str = "Waiting for you",
    ) -> None:
        super().__init__(data)
        self.fields["stage"].choices = [("", waiting_label), *stages]
        if analysts is None:
            del self.fields["analyst"]
        else:
            self.fields["analyst"].choices = [
                ("", "Any analyst"),
                ("none", "Nobody yet"),
                *analysts,
            ]
