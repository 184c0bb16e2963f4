"""The public data-use register's fields, in one place (``REGISTER_FIELDS``, in the order the
API and the CSV give them).

Each field says which ``RegisterEntry`` column holds it, its name in the API (after the HDR UK
data use register standard, v2), its CSV column, its label on the entry page, whether it is
published for a declined application too, and how it is worked out from the application when
the entry is written. ``services.register_record`` writes the entry from it, the API's
serializer and the CSV's columns are generated from it (``serializers``), and the entry page
lays out its rows from it (the ``public_register`` template tags).

To add a field: the column (and its migration) on ``RegisterEntry``, and its ``RegisterField``
here. ``tests/unit/test_register_spec.py`` checks that the two agree, and that
``docs/register.md`` names every field.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from django.conf import settings
from django.db.models import Field, TextChoices
from django.utils import dateformat, timezone

from access.models import Accreditation, AccreditationKind, Organisation
from catalogue.models import Purpose, Sensitivity
from workflow.models import (
    Application,
    ApplicationMember,
    EventKind,
    OutputKind,
    ProjectRole,
    RegisterEntry,
    RegisterStatus,
    RequestedDataset,
    ReviewTrack,
    State,
)
from workflow.transparency import selectors

# HDR UK DUR v2 "data sensitivity level": Personally identifiable > De-personalised > Anonymous.
DUR_SENSITIVITY: dict[str, str] = {
    Sensitivity.IDENTIFIABLE: "Personally identifiable",
    Sensitivity.PSEUDONYMISED: "De-personalised",
    Sensitivity.DEIDENTIFIED: "De-personalised",
    Sensitivity.ANONYMOUS: "Anonymous",
}

ACCESS_TYPE = "TRE"

# The application states that appear on the register, and how.
PUBLIC_STATUS: dict[str, str] = {
    State.APPROVED: RegisterStatus.APPROVED,
    State.ACTIVE: RegisterStatus.ACTIVE,
    # Suspension is between the TRE and the team: the public entry stays active.
    State.SUSPENDED: RegisterStatus.ACTIVE,
    State.CLOSED: RegisterStatus.CLOSED,
    State.REJECTED: RegisterStatus.DECLINED,
}

# How a value is shaped: in the API (its serializer field), the CSV (its cell) and the page.
Shape = Literal["text", "date", "flag", "list", "records"]


class Facts:
    """What the fields are worked out from: one application as it stands when its entry is
    written, each part read once."""

    def __init__(self, application: Application, status: str) -> None:
        self.application = application
        self.status = status

    @cached_property
    def organisation(self) -> Organisation | None:
        return self.application.lead_organisation

    @cached_property
    def decided_on(self) -> datetime.date:
        moment = self.application.decided_at
        return timezone.localdate(moment) if moment else timezone.localdate()

    @cached_property
    def members(self) -> list[ApplicationMember]:
        """The principal investigator first, then the team in the order they were named."""
        members = self.application.members.select_related("user").order_by("id")
        return sorted(members, key=lambda m: m.project_role != ProjectRole.PRINCIPAL_INVESTIGATOR)

    @cached_property
    def requested(self) -> list[RequestedDataset]:
        return list(
            self.application.requested_datasets.select_related("dataset__provider").order_by(
                "dataset__title"
            )
        )

    def event_day(self, kind: str) -> datetime.date | None:
        event = self.application.events.filter(kind=kind).order_by("-created_at", "-id").first()
        return timezone.localdate(event.created_at) if event else None


@dataclass(frozen=True)
class Attribute:
    """One attribute of each record of a ``records`` field (a dataset, an approval, an
    output)."""

    key: str
    shape: Literal["text", "date", "moment", "count"] = "text"
    help: str = ""
    choices: type[TextChoices] | None = None


@dataclass(frozen=True)
class RegisterField:
    """One field of the public register."""

    column: str  # the ``RegisterEntry`` column ("": read from elsewhere at publication)
    api: str  # its name in the API (HDR UK DUR v2 where the standard has it)
    label: str  # the CSV column's header
    title: str  # its label on the entry page
    compute: Callable[[Facts], Any] | None  # how it is worked out when the entry is written
    source: str  # where it comes from, in words (for the docs and the API's description)
    shape: Shape = "text"
    always: bool = False  # published for a declined application too
    # the entry page's section that shows it as a row: people, project or setting ("": the
    # page shows it its own way: the title, the status tag, the datasets table, the lists)
    section: str = ""
    empty: str = "Not given"  # what the page says when it is empty
    hide_empty: bool = False  # the page leaves the row out when it is empty
    choices: type[TextChoices] | None = None  # a text with a closed set of values
    # records: their attributes and the name of their schema component
    attributes: tuple[Attribute, ...] = ()
    record_name: str = ""
    line: Callable[[dict], str] | None = None  # one record, as the page writes it
    # read: for a field not stored on the entry, how it is read at publication
    read: Callable[[RegisterEntry], Any] | None = None
    # The CSV's columns for it: (header, cell from the API's value). Default: one column.
    csv: tuple[tuple[str, Callable[[Any], str]], ...] = ()

    def value(self, entry: RegisterEntry) -> Any:
        return self.read(entry) if self.read else getattr(entry, self.column)

    def csv_columns(self) -> tuple[tuple[str, Callable[[Any], str]], ...]:
        return self.csv or ((self.label, plain_cell),)

    def display(self, value: Any) -> str:
        """The value as the entry page shows it ("" when empty)."""
        if self.shape == "flag":
            return "Yes" if value else "No"
        if value in (None, "", []):
            return ""
        if self.shape == "date":
            return dateformat.format(value, "j F Y")
        if self.shape == "list":
            return ", ".join(value)
        if self.shape == "records" and self.line is not None:
            return "\n".join(self.line(record) for record in value)
        if self.choices is not None:
            return str(self.choices(value).label)
        return str(value)

    def empty_value(self) -> Any:
        """What the column holds when it is not published (a declined application)."""
        field = RegisterEntry._meta.get_field(self.column)
        if not isinstance(field, Field):
            raise TypeError(f"{self.column} is a relation, not a column")
        return field.get_default() if field.has_default() or not field.null else None


def plain_cell(value: Any) -> str:
    """A CSV cell: a list joined with "; ", a flag as yes/no, nothing as an empty cell."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# --- how the fields are worked out ----------------------------------------------------------------


def _organisation(attribute: str) -> Callable[[Facts], str]:
    def compute(facts: Facts) -> str:
        return getattr(facts.organisation, attribute) if facts.organisation else ""

    return compute


def _lead_is_dea_accredited(facts: Facts) -> bool:
    pi = next(
        (m for m in facts.members if m.project_role == ProjectRole.PRINCIPAL_INVESTIGATOR), None
    )
    if pi is None:
        return False
    awards = Accreditation.objects.filter(
        person=pi.user, kind__in=[AccreditationKind.DEA_FULL, AccreditationKind.DEA_PROVISIONAL]
    )
    return any(a.is_valid_on(facts.decided_on) for a in awards)


def _other_approvals(facts: Facts) -> list[dict]:
    safeguards = getattr(facts.application, "safeguards", None)
    if safeguards is None or not safeguards.ethics_reference:
        return []
    approved_on = safeguards.ethics_approved_on
    return [
        {
            "committee": safeguards.ethics_committee,
            "reference": safeguards.ethics_reference,
            "approved_on": approved_on.isoformat() if approved_on else None,
        }
    ]


def _datasets(facts: Facts) -> list[dict]:
    return [
        {
            "slug": rd.dataset.slug,
            "title": rd.dataset.title,
            "provider": rd.dataset.provider.name,
            "sensitivity": DUR_SENSITIVITY.get(rd.dataset.sensitivity, ""),
            "legal_gateway": rd.get_legal_gateway_display(),
        }
        for rd in facts.requested
    ]


def _highest_sensitivity(facts: Facts) -> str:
    ranks = [Sensitivity.rank(rd.dataset.sensitivity) for rd in facts.requested]
    if not ranks:
        return ""
    return DUR_SENSITIVITY.get(list(Sensitivity.values)[max(ranks)], "")


def _conditions(facts: Facts) -> list[str]:
    """The union of the conditions of the tracks that made the latest approval."""
    tracks = ReviewTrack.objects.filter(application=facts.application, superseded=False)
    return list(dict.fromkeys(c for t in tracks.order_by("id") for c in t.conditions))


def _panel_decisions(facts: Facts) -> list[dict]:
    """Each panel's decision that made the latest outcome: how many members voted and how many
    of them were lay members (members of the public)."""
    tracks = (
        ReviewTrack.objects.filter(
            application=facts.application, superseded=False, panel__isnull=False
        )
        .exclude(decided_at=None)
        .select_related("panel")
        .order_by("panel__name", "id")
    )
    return [
        {
            "panel": t.panel.name if t.panel else t.get_kind_display(),
            "decided_on": timezone.localdate(t.decided_at).isoformat() if t.decided_at else None,
            "votes": t.votes_counted,
            "lay_votes": t.lay_votes_counted,
        }
        for t in tracks
    ]


def _panel_decision_line(record: dict) -> str:
    decided = record.get("decided_on")
    day = dateformat.format(datetime.date.fromisoformat(decided), "j F Y") if decided else ""
    if record.get("votes") is None:
        return f"{record['panel']}, {day}: votes not recorded"
    lay = record.get("lay_votes") or 0
    members = "member" if lay == 1 else "members"
    return f"{record['panel']}, {day}: {record['votes']} votes, {lay} lay {members} took part"


def _panel_decisions_cell(records: list[dict]) -> str:
    return "; ".join(_panel_decision_line(r) for r in records)


def _outputs(entry: RegisterEntry) -> list[dict]:
    return [
        {"kind": o.kind, "title": o.title, "url": o.url, "added_at": o.added_at}
        for o in selectors.outputs_of(entry)
    ]


def _datasets_cell(datasets: list[dict]) -> str:
    return "; ".join(f"{d['title']} ({d['provider']})" for d in datasets)


def _gateways_cell(datasets: list[dict]) -> str:
    return "; ".join(f"{d['title']}: {d['legal_gateway']}" for d in datasets)


def _approval_line(approval: dict) -> str:
    return f"{approval['committee']} {approval['reference']}".strip()


def _approvals_cell(approvals: list[dict]) -> str:
    return "; ".join(_approval_line(a) for a in approvals)


def _outputs_cell(outputs: list[dict]) -> str:
    return " ".join(o["url"] for o in outputs)


def dataset_keys(slugs: Sequence[str]) -> str:
    """``",a,b,"``: each slug between commas, so ``contains ",a,"`` finds exactly ``a``."""
    return f",{','.join(slugs)}," if slugs else ""


# --- the fields -------------------------------------------------------------------------------

REGISTER_FIELDS: tuple[RegisterField, ...] = (
    # Published for every decided application, declined ones too (UK LLC practice: "declined
    # applications show only ID, organisation and status").
    RegisterField(
        "reference",
        "project_id",
        "Project ID",
        "Project reference",
        lambda facts: facts.application.reference,
        "the application's reference",
        always=True,
        section="project",
    ),
    RegisterField(
        "organisation",
        "lead_organisation",
        "Lead applicant organisation",
        "Lead organisation",
        _organisation("name"),
        "the lead organisation's name",
        always=True,
        section="people",
    ),
    RegisterField(
        "status",
        "status",
        "Status",
        "Status",
        lambda facts: facts.status,
        "approved, active (suspended projects too), closed or declined",
        always=True,
        choices=RegisterStatus,
    ),
    RegisterField(
        "latest_decision_on",
        "latest_decision_on",
        "Latest decision date",
        "Decided",
        lambda facts: facts.decided_on,
        "the day of the latest decision",
        shape="date",
        always=True,
    ),
    # Approved, active and closed projects only.
    RegisterField(
        "organisation_ror",
        "organisation_id",
        "Organisation ID (ROR)",
        "Organisation ID (ROR)",
        _organisation("ror_id"),
        "the lead organisation's ROR id, when recorded",
    ),
    RegisterField(
        "organisation_sector",
        "organisation_sector",
        "Organisation sector",
        "Organisation sector",
        _organisation("sector"),
        "the lead organisation's sector",
        section="people",
    ),
    RegisterField(
        "applicants",
        "applicant_names",
        "Applicant names",
        "Applicants",
        lambda facts: [m.user.full_name for m in facts.members],
        "the project's members, principal investigator first",
        shape="list",
        section="people",
    ),
    RegisterField(
        "lead_applicant_dea_accredited",
        "dea_accredited_researcher",
        "DEA accredited researcher",
        "Lead applicant DEA accredited",
        _lead_is_dea_accredited,
        "whether the principal investigator held a valid DEA accreditation (full or "
        "provisional) on the day of approval",
        shape="flag",
        section="people",
    ),
    RegisterField(
        "title",
        "project_title",
        "Project title",
        "Project title",
        lambda facts: facts.application.title,
        "the application's title",
    ),
    RegisterField(
        "lay_summary",
        "lay_summary",
        "Lay summary",
        "Lay summary",
        lambda facts: facts.application.lay_summary,
        "the application's lay summary",
        section="project",
    ),
    RegisterField(
        "public_benefit",
        "public_benefit_statement",
        "Public benefit statement",
        "Public benefit",
        lambda facts: facts.application.public_benefit,
        "the application's public benefit statement",
        section="project",
    ),
    RegisterField(
        "purpose",
        "request_category_type",
        "Request category type",
        "Purpose",
        lambda facts: Purpose(facts.application.purpose).label if facts.application.purpose else "",
        "the purpose of use, in words",
        section="project",
    ),
    RegisterField(
        "funders",
        "funders",
        "Funders/Sponsors",
        "Funders",
        lambda facts: facts.application.funder,
        "the application's funder",
        section="people",
    ),
    RegisterField(
        "other_approvals",
        "other_approval_committees",
        "Other approval committees",
        "Other approvals",
        _other_approvals,
        "the ethics approval from the safeguards (committee, reference, date)",
        shape="records",
        section="project",
        empty="None recorded",
        attributes=(
            Attribute("committee"),
            Attribute("reference"),
            Attribute("approved_on", "date"),
        ),
        record_name="OtherApproval",
        line=_approval_line,
        csv=(("Other approval committees", _approvals_cell),),
    ),
    RegisterField(
        "start_date",
        "project_start_date",
        "Project start date",
        "Start date",
        lambda facts: facts.application.start_date,
        "the project's start date",
        shape="date",
        section="project",
    ),
    RegisterField(
        "end_date",
        "project_end_date",
        "Project end date",
        "End date",
        lambda facts: facts.application.end_date,
        "the project's end date",
        shape="date",
        section="project",
    ),
    RegisterField(
        "latest_approval_on",
        "latest_approval_date",
        "Latest approval date",
        "Latest approval",
        lambda facts: facts.decided_on,
        "the day of the combined decision",
        shape="date",
        section="project",
    ),
    RegisterField(
        "access_granted_on",
        "access_date",
        "Access date",
        "Access granted",
        lambda facts: facts.event_day(EventKind.ACCESS_GRANTED),
        "the day access was granted",
        shape="date",
        section="project",
        empty="Not yet",
    ),
    RegisterField(
        "closed_on",
        "closed_date",
        "Closed date",
        "Closed",
        lambda facts: facts.event_day(EventKind.CLOSED),
        "the day the project was closed",
        shape="date",
        section="project",
        hide_empty=True,
    ),
    RegisterField(
        "datasets",
        "datasets",
        "Dataset(s) name",
        "Datasets used",
        _datasets,
        "the requested datasets, each with its provider, its sensitivity (identifiable: "
        '"Personally identifiable"; pseudonymised, de-identified: "De-personalised"; '
        'anonymous: "Anonymous") and the legal gateway it is shared under',
        shape="records",
        attributes=(
            Attribute("slug"),
            Attribute("title"),
            Attribute("provider"),
            Attribute("sensitivity", help="HDR UK DUR data sensitivity level"),
            Attribute("legal_gateway"),
        ),
        record_name="RegisterDataset",
        csv=(("Dataset(s) name", _datasets_cell), ("Legal gateway", _gateways_cell)),
    ),
    RegisterField(
        "sensitivity",
        "data_sensitivity_level",
        "Data sensitivity level",
        "Highest sensitivity",
        _highest_sensitivity,
        "the highest sensitivity of the datasets used",
    ),
    RegisterField(
        "access_type",
        "access_type",
        "Access type",
        "Access type",
        lambda facts: ACCESS_TYPE,
        "always TRE",
        section="setting",
    ),
    RegisterField(
        "processing_environment",
        "processing_environment",
        "Processing environment",
        "Processing environment",
        lambda facts: settings.TRE_PROCESSING_ENVIRONMENT,
        "the setting TRE_PROCESSING_ENVIRONMENT",
        section="setting",
    ),
    RegisterField(
        "conditions",
        "conditions",
        "Conditions",
        "Conditions",
        _conditions,
        "the union of every track's conditions, in plain words",
        shape="list",
    ),
    RegisterField(
        "panel_decisions",
        "panel_decisions",
        "Panel decisions",
        "Panel decisions",
        _panel_decisions,
        "each panel's decision: the panel, the day, the votes counted and how many lay members "
        "(members of the public) took part",
        shape="records",
        section="project",
        empty="None recorded",
        attributes=(
            Attribute("panel"),
            Attribute("decided_on", "date"),
            Attribute("votes", "count", help="Eligible votes counted (null: not recorded)"),
            Attribute("lay_votes", "count", help="Votes of lay members (members of the public)"),
        ),
        record_name="PanelDecision",
        line=_panel_decision_line,
        csv=(("Panel decisions (lay members taking part)", _panel_decisions_cell),),
    ),
    RegisterField(
        "",
        "research_outputs",
        "Link to research outputs",
        "Outputs",
        None,
        "links the project's members add (read when published, not stored on the entry)",
        shape="records",
        attributes=(
            Attribute("kind", choices=OutputKind),
            Attribute("title"),
            # Text, not a URI: a link Django's URLField accepted need not pass JSON Schema's
            # stricter "uri" format, and the register would answer outside its own schema.
            Attribute("url"),
            Attribute("added_at", "moment"),
        ),
        record_name="PublicOutput",
        read=_outputs,
        csv=(("Link to research outputs", _outputs_cell),),
    ),
)

STORED = tuple(f for f in REGISTER_FIELDS if f.column)

# Columns kept for the register's filters, derived from published fields, never published.
INDEX_COLUMNS = ("organisation_slug", "dataset_keys")


def entry_values(application: Application, status: str) -> dict[str, Any]:
    """Every stored column of the application's entry: the published fields (those not
    published for its status emptied) and the filters' index columns."""
    facts = Facts(application, status)
    published = status != RegisterStatus.DECLINED
    values: dict[str, Any] = {}
    for field in STORED:
        if field.always or published:
            values[field.column] = field.compute(facts) if field.compute else None
        else:
            values[field.column] = field.empty_value()
    values["organisation_slug"] = facts.organisation.slug if facts.organisation else ""
    values["dataset_keys"] = dataset_keys([d["slug"] for d in values["datasets"]])
    return values


def page_rows(entry: RegisterEntry, section: str) -> list[dict[str, str]]:
    """The summary rows of one section of the entry page ("declined": the fields a declined
    application publishes)."""
    if section == "declined":
        fields = [f for f in REGISTER_FIELDS if f.always]
    else:
        fields = [f for f in REGISTER_FIELDS if f.section == section]
    rows = []
    for field in fields:
        shown = field.display(field.value(entry))
        if field.hide_empty and not shown:
            continue
        rows.append({"key": field.title, "value": shown, "empty": field.empty})
    return rows


def field(api: str) -> RegisterField:
    """The field the API calls ``api``."""
    return next(f for f in REGISTER_FIELDS if f.api == api)
