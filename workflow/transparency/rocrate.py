"""An application as a Five Safes RO-Crate (https://w3id.org/5s-crate), built with ``rocrate``.

We follow the profile as far as our data goes (docs/register.md says where we stop):

- the root dataset is the request: its reference, title, lay summary, and ``sourceOrganization``
  the responsible ``Project`` with our reference as a ``PropertyValue``;
- each member is a ``Person`` with ``affiliation`` and ``memberOf`` the project, and each of
  their accreditations an ``EducationalOccupationalCredential`` with its validity as
  ``validFrom``/``validUntil`` and ``dct:valid "start/end"`` (5s-crate 1.0 credentials);
- the datasets requested, with their slug as ``identifier``, sensitivity and legal gateway;
- the frozen application versions and the data access agreement (a versioned ``CreativeWork``
  typed ``dpv:DataProcessingAgreement``) with each signature as an ``AgreeAction``;
- every step of the route as an action: requests and requests for changes ``AskAction``,
  checks and verdicts ``AssessAction``, approvals ``AuthorizeAction``, refusals
  ``RejectAction``, withdrawal ``CancelAction``, everything else ``UpdateAction``; each with its
  agent, object (the version judged), ``endTime`` and, for decisions, the decision record as
  ``result``;
- each Five Safes run as an ``AssessAction`` whose results are ``PropertyValue``s.

Contact details (emails, phone numbers) are never exported.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from django.utils import timezone
from rocrate.model.contextentity import ContextEntity
from rocrate.model.person import Person
from rocrate.rocrate import ROCrate

from access.models import Accreditation, AgreementSignature, Organisation, User
from workflow.models import (
    Application,
    DecisionRecord,
    Event,
    EventKind,
    FiveSafesRun,
    Outcome,
    OutputFile,
    RequestedDataset,
)

PROFILE = "https://w3id.org/5s-crate/0.4"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
COMPLETED = "http://schema.org/CompletedActionStatus"
SHP = "https://w3id.org/shp#"
DATA_PROCESSING_AGREEMENT = "https://w3id.org/dpv#DataProcessingAgreement"

ASK = {
    EventKind.SUBMITTED,
    EventKind.RESUBMITTED,
    EventKind.CHANGES_REQUESTED,
    EventKind.REVISION_REQUESTED,
}
ASSESS = {
    EventKind.SCOPING_COMPLETED,
    EventKind.REFERRED,
    EventKind.FIVE_SAFES_CHECKED,
    EventKind.SAFE_VERDICT,
    EventKind.VOTE_CAST,
    EventKind.VOTE_CHANGED,
    EventKind.PUBLIC_BENEFIT_SCORED,
    EventKind.CONDITION_VERIFIED,
}
AUTHORIZE = {EventKind.APPROVED, EventKind.ACCESS_GRANTED, EventKind.REINSTATED}
REJECT = {EventKind.REJECTED, EventKind.SUSPENDED}
# Agreement signatures are exported as AgreeActions from their own rows.
SKIPPED = {EventKind.AGREEMENT_SIGNED}


def _action_type(event: Event) -> str:
    if event.kind == EventKind.TRACK_DECIDED:
        outcome = event.payload.get("outcome")
        if outcome == Outcome.REJECTED:
            return "RejectAction"
        if outcome == Outcome.REVISE_AND_RESUBMIT:
            return "AskAction"
        return "AuthorizeAction"
    if event.kind in ASK:
        return "AskAction"
    if event.kind in ASSESS:
        return "AssessAction"
    if event.kind in AUTHORIZE:
        return "AuthorizeAction"
    if event.kind in REJECT:
        return "RejectAction"
    if event.kind == EventKind.WITHDRAWN:
        return "CancelAction"
    return "UpdateAction"


def _participation(track: dict) -> str:
    """How many votes a panel's decision counted and how many were lay members' (decisions
    recorded before lay seats were counted say nothing)."""
    if track.get("votes") is None:
        return ""
    return f" [{track['votes']} votes, {track.get('lay_votes') or 0} from lay members]"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


class _Builder:
    def __init__(self, application: Application) -> None:
        self.application = application
        self.crate = ROCrate()
        self.entities: dict[str, Any] = {}

    def add(self, identifier: str, properties: dict[str, Any], *, person: bool = False):
        if identifier not in self.entities:
            cls = Person if person else ContextEntity
            clean = {k: v for k, v in properties.items() if v not in (None, "", [])}
            self.entities[identifier] = self.crate.add(cls(self.crate, identifier, clean))
        return self.entities[identifier]

    @staticmethod
    def ref(identifier: str) -> dict[str, str]:
        return {"@id": identifier}

    # --- context ------------------------------------------------------------------------------
    def organisation(self, organisation: Organisation | None) -> dict | None:
        if organisation is None:
            return None
        identifier = (
            f"https://ror.org/{organisation.ror_id}"
            if organisation.ror_id
            else f"#organisation-{organisation.slug}"
        )
        self.add(
            identifier,
            {"@type": "Organization", "name": organisation.name, "url": organisation.website},
        )
        return self.ref(identifier)

    def person(self, user: User | None) -> dict[str, str]:
        if user is None:
            return self.system()
        identifier = f"#person-{user.pk}"
        self.add(
            identifier,
            {
                "name": user.full_name or user.username,
                "affiliation": self.organisation(user.affiliation),
            },
            person=True,
        )
        return self.ref(identifier)

    def system(self) -> dict:
        # The steps the route takes by itself (combined outcomes, pre-approved sign-offs) are
        # the TRE's own, as an organisation.
        self.add(
            "#tre",
            {
                "@type": "Organization",
                "name": "The trusted research environment (automatic step)",
            },
        )
        return self.ref("#tre")

    # --- the parts ----------------------------------------------------------------------------
    def root(self) -> None:
        app = self.application
        root = self.crate.root_dataset
        root["name"] = f"{app.reference}: {app.title}" if app.reference else app.title
        root["description"] = app.lay_summary or app.title
        root["identifier"] = app.reference or f"application-{app.pk}"
        root["datePublished"] = timezone.now().isoformat()
        root["conformsTo"] = self.ref(PROFILE)
        self.add(
            PROFILE,
            {
                "@type": ["CreativeWork", "Profile"],
                "name": "Five Safes RO-Crate profile",
                "version": "0.4",
            },
        )
        self.add(
            LICENSE,
            {
                "@type": "CreativeWork",
                "name": "CC BY 4.0",
                "description": "Creative Commons Attribution 4.0 International",
            },
        )
        root["license"] = self.ref(LICENSE)
        project_id = f"#project-{app.reference or app.pk}"
        self.add(
            "#project-reference",
            {
                "@type": "PropertyValue",
                "name": "TRE project reference",
                "value": app.reference or str(app.pk),
            },
        )
        self.add(
            project_id,
            {
                "@type": "Project",
                "name": app.title,
                "description": app.public_benefit,
                "identifier": self.ref("#project-reference"),
                "funder": app.funder,
                "startDate": _iso(app.start_date),
                "endDate": _iso(app.end_date),
                "parentOrganization": self.organisation(app.lead_organisation),
            },
        )
        self.project = self.ref(project_id)
        root["sourceOrganization"] = self.project
        root["additionalProperty"] = [self.ref("#state"), self.ref("#purpose")]
        self.add(
            "#state",
            {"@type": "PropertyValue", "name": "state", "value": app.get_state_display()},
        )
        self.add(
            "#purpose",
            {"@type": "PropertyValue", "name": "purpose", "value": app.get_purpose_display()},
        )

    def members(self) -> None:
        app = self.application
        members = list(app.members.select_related("user__affiliation"))
        accreditations = Accreditation.objects.filter(
            person__in=[m.user for m in members]
        ).order_by("person", "kind", "issued_on")
        by_person: dict[int, list[Accreditation]] = {}
        for award in accreditations:
            by_person.setdefault(award.person_id, []).append(award)
        authors = []
        for member in members:
            ref = self.person(member.user)
            person = self.entities[ref["@id"]]
            person["memberOf"] = self.project
            person["jobTitle"] = member.get_project_role_display()
            credentials = []
            for award in by_person.get(member.user_id, []):
                identifier = f"#credential-{award.pk}"
                self.add(
                    identifier,
                    {
                        "@type": "EducationalOccupationalCredential",
                        "name": award.get_kind_display(),
                        "credentialCategory": award.kind,
                        "identifier": award.certificate_number,
                        "recognizedBy": self._issuer(award.issuer),
                        "validFrom": _iso(award.issued_on),
                        "validUntil": _iso(award.expires_on),
                        "dct:valid": f"{_iso(award.issued_on)}/{_iso(award.expires_on)}",
                        "creativeWorkStatus": award.get_state_display(),
                    },
                )
                credentials.append(self.ref(identifier))
            if credentials:
                person["hasCredential"] = credentials
            authors.append(ref)
        self.crate.root_dataset["author"] = authors

    def _issuer(self, name: str) -> dict:
        identifier = "#issuer-" + "-".join(name.lower().split())
        self.add(identifier, {"@type": "Organization", "name": name})
        return self.ref(identifier)

    def datasets(self) -> None:
        refs = []
        for rd in RequestedDataset.objects.filter(application=self.application).select_related(
            "dataset__provider"
        ):
            identifier = f"#dataset-{rd.dataset.slug}"
            self.add(
                identifier,
                {
                    "@type": "CreativeWork",
                    "additionalType": "Dataset",
                    "name": rd.dataset.title,
                    "identifier": rd.dataset.slug,
                    "description": rd.dataset.description,
                    "publisher": self.organisation(rd.dataset.provider),
                    "keywords": [rd.dataset.get_sensitivity_display()],
                    "usageInfo": rd.get_legal_gateway_display(),
                },
            )
            refs.append(self.ref(identifier))
        self.crate.root_dataset["mentions"] = refs

    def versions(self) -> None:
        for version in self.application.versions.select_related("created_by"):
            self.add(
                f"#version-{version.number}",
                {
                    "@type": "CreativeWork",
                    "name": f"Application version {version.number}",
                    "version": str(version.number),
                    "dateCreated": _iso(version.created_at),
                    "author": self.person(version.created_by),
                    "dct:isVersionOf": self.project,
                },
            )

    def agreement(self) -> None:
        signatures = AgreementSignature.objects.filter(application=self.application).select_related(
            "agreement", "signer__affiliation", "organisation"
        )
        for signature in signatures:
            text = signature.agreement
            identifier = f"#agreement-v{text.version}"
            self.add(
                identifier,
                {
                    "@type": "CreativeWork",
                    "additionalType": DATA_PROCESSING_AGREEMENT,
                    "name": text.title,
                    "version": str(text.version),
                    "text": text.body,
                    "datePublished": _iso(text.published_at),
                },
            )
            self.add(
                f"#signature-{signature.pk}",
                {
                    "@type": "AgreeAction",
                    "name": f"Signed {text.title} v{text.version} "
                    f"({signature.get_capacity_display()})",
                    "agent": self.person(signature.signer),
                    "object": self.ref(identifier),
                    "endTime": _iso(signature.signed_at),
                    "actionStatus": self.ref(COMPLETED),
                    "participant": self.organisation(signature.organisation),
                },
            )

    def decisions(self) -> dict[int, dict]:
        """Decision records by the event they belong to (matched on time and outcome)."""
        refs = {}
        for record in DecisionRecord.objects.filter(application=self.application):
            identifier = f"#decision-{record.pk}"
            tracks = "; ".join(
                f"{t['name']}: {t['outcome']}"
                + (f" ({t['rationale']})" if t["rationale"] else "")
                + _participation(t)
                for t in record.tracks
            )
            self.add(
                identifier,
                {
                    "@type": "CreativeWork",
                    "name": f"Decision on version {record.version}: {record.outcome}",
                    "dateCreated": _iso(record.decided_at),
                    "about": self.ref(f"#version-{record.version}"),
                    "text": record.reason or tracks,
                    "abstract": "; ".join(record.conditions),
                    "citation": [c["category"] for c in record.pre_approved],
                },
            )
            refs[record.pk] = self.ref(identifier)
        return refs

    def actions(self) -> None:
        decisions = list(DecisionRecord.objects.filter(application=self.application))
        self.decisions()
        actions = []
        request_ref = None
        events = self.application.events.select_related("actor__affiliation").order_by(
            "created_at", "id"
        )
        for event in events:
            if event.kind in SKIPPED:
                continue
            identifier = f"#action-{event.pk}"
            properties: dict[str, Any] = {
                "@type": _action_type(event),
                "name": event.get_kind_display(),
                "agent": self.person(event.actor),
                "object": self.ref(f"#version-{event.version}")
                if event.version and f"#version-{event.version}" in self.entities
                else self.ref("./"),
                "endTime": _iso(event.created_at),
                "actionStatus": self.ref(COMPLETED),
                "description": event.reason,
            }
            if event.kind in (EventKind.SUBMITTED, EventKind.RESUBMITTED):
                request_ref = self.ref(identifier)
            elif request_ref is not None:
                properties["prov:wasInformedBy"] = request_ref
            if event.kind in (EventKind.APPROVED, EventKind.REJECTED):
                record = next(
                    (
                        d
                        for d in decisions
                        if d.version == (event.version or 0)
                        and abs((d.decided_at - event.created_at).total_seconds()) < 60
                    ),
                    None,
                )
                if record is not None:
                    properties["result"] = self.ref(f"#decision-{record.pk}")
            actions.append(self.ref(identifier))
            self.add(identifier, properties)
        for run in FiveSafesRun.objects.filter(application=self.application).prefetch_related(
            "results"
        ):
            identifier = f"#five-safes-run-{run.pk}"
            results = []
            for result in run.results.all():
                result_id = f"#check-{run.pk}-{result.code}"
                self.add(
                    result_id,
                    {
                        "@type": "PropertyValue",
                        "name": result.code,
                        "value": result.result,
                        "description": result.message,
                        "propertyID": f"safe:{result.safe}",
                    },
                )
                results.append(self.ref(result_id))
            self.add(
                identifier,
                {
                    "@type": "AssessAction",
                    "additionalType": SHP + "ValidationCheck",
                    "name": f"Five Safes checks at {run.get_gate_display()}",
                    "agent": self.person(run.run_by),
                    "object": self.ref(f"#version-{run.version}")
                    if run.version and f"#version-{run.version}" in self.entities
                    else self.ref("./"),
                    "endTime": _iso(run.run_at),
                    "actionStatus": self.ref(COMPLETED),
                    "result": results,
                },
            )
            actions.append(self.ref(identifier))
        self.crate.root_dataset["mentions"] = [
            *self.crate.root_dataset.get("mentions", []),
            *actions,
        ]

    def released_outputs(self) -> None:
        """The metadata of every file released after output checking (the files themselves
        stay with the team: the crate describes, it does not carry them)."""
        released = (
            OutputFile.objects.filter(
                request__application=self.application, released_at__isnull=False
            )
            .select_related("request")
            .order_by("released_at", "id")
        )
        refs = []
        for output_file in released:
            identifier = f"#released-output-{output_file.pk}"
            self.add(
                identifier,
                {
                    "@type": "CreativeWork",
                    "name": output_file.name,
                    "description": output_file.description,
                    "encodingFormat": output_file.content_type,
                    "contentSize": str(output_file.size),
                    "identifier": f"sha256:{output_file.sha256}",
                    "datePublished": _iso(output_file.released_at),
                    "isPartOf": self.project,
                    "about": output_file.request.title,
                },
            )
            refs.append(self.ref(identifier))
        if refs:
            self.crate.root_dataset["mentions"] = [
                *self.crate.root_dataset.get("mentions", []),
                *refs,
            ]

    def build(self) -> ROCrate:
        self.root()
        self.members()
        self.datasets()
        self.versions()
        self.agreement()
        self.actions()
        self.released_outputs()
        return self.crate


def application_crate(application: Application) -> ROCrate:
    """The RO-Crate of ``application`` (in memory)."""
    return _Builder(application).build()


def write_crate(application: Application, directory: Path | str) -> Path:
    """Write the crate as a folder (``ro-crate-metadata.json`` at its root)."""
    path = Path(directory)
    application_crate(application).write(path)
    return path


def application_crate_zip(application: Application) -> bytes:
    """The crate as a zip, in memory."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "crate.zip"
        application_crate(application).write_zip(out)
        return io.BytesIO(out.read_bytes()).getvalue()
