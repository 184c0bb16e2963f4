"""Builders for applications at any point of the route, through the real services."""

from __future__ import annotations

import datetime

from access.models import Organisation, Role
from catalogue.models import Dataset, Variable
from tests.factories.access import (
    OrganisationFactory,
    accredit,
    make_signatory,
    make_user,
    publish_agreement,
)
from tests.factories.catalogue import DatasetFactory, VariableFactory
from workflow.management.history import decide_as_panel
from workflow.models import (
    Application,
    LegalGateway,
    Outcome,
    Panel,
    PanelMembership,
    RequestedVariable,
    ReviewTrack,
    State,
)
from workflow.reviews import services as reviews_services
from workflow.route import services as route_services
from workflow.safes import services as safes_services


class World:
    """A small TRE: a provider with a dataset and its analyst, staff, and a research team."""

    def __init__(self) -> None:
        self.university = OrganisationFactory(
            name="Swansea University",
            slug="swansea",
            security_assurance="ISO/IEC 27001 certificate",
        )
        self.provider = OrganisationFactory(
            name="Welsh Government", slug="welsh-gov", kind=Organisation.Kind.DATA_PROVIDER
        )
        self.analyst = make_user(Role.ANALYST, full_name="Ana Lyst")
        self.analyst2 = make_user(Role.ANALYST, full_name="Backup Analyst")
        self.reviewer = make_user(Role.REVIEWER, full_name="Rhys Reviewer")
        self.panel = make_user(Role.PANEL_MEMBER, full_name="Pat Panel")
        self.owner = make_user(Role.DATA_OWNER, full_name="Owen Owner", data_owner_of=self.provider)
        self.ops = make_user(Role.OPS, full_name="Olive Ops")
        self.pi = make_user(
            Role.RESEARCHER, full_name="Priya Investigator", affiliation=self.university
        )
        self.colleague = make_user(Role.RESEARCHER, full_name="Colin Colleague")
        self.outsider = make_user(Role.RESEARCHER, full_name="Oscar Outsider")
        # Safe people: the team is trained, an officer decides accreditation, the university has
        # a signatory, and a data access agreement is published, so the route reaches "active".
        self.officer = make_user(Role.ACCREDITATION_OFFICER, full_name="Afon Officer")
        self.signatory = make_signatory(self.university, full_name="Sian Signatory")
        for person in (self.pi, self.colleague):
            accredit(person)
        self.agreement = publish_agreement(self.ops)
        self.dataset: Dataset = DatasetFactory(
            slug="education",
            title="Pupil attainment",
            provider=self.provider,
            primary_analyst=self.analyst,
            backup_analyst=self.analyst2,
            dea_gateway_permitted=True,
        )
        self.year: Variable = VariableFactory(dataset=self.dataset, name="school_year")
        self.grade: Variable = VariableFactory(dataset=self.dataset, name="grade")
        self.postcode: Variable = VariableFactory(
            dataset=self.dataset, name="postcode", is_identifying=True
        )
        # Panels: the IGRP, chaired by ``panel``, decides by majority with a quorum of one so
        # routine tests stay short; the DEA panel needs three votes, one independent.
        self.lay = make_user(Role.PANEL_MEMBER, full_name="Lee Lay")
        self.expert = make_user(Role.PANEL_MEMBER, full_name="Eve Expert")
        self.igrp = Panel.objects.create(
            name="Independent Governance Review Panel", slug="igrp", track_kind="igrp", quorum=1
        )
        self.dea_panel = Panel.objects.create(
            name="DEA accreditation panel",
            slug="dea",
            track_kind="dea_panel",
            quorum=3,
            min_independent_votes=1,
        )
        for panel in (self.igrp, self.dea_panel):
            PanelMembership.objects.create(panel=panel, user=self.panel, is_chair=True)
            PanelMembership.objects.create(panel=panel, user=self.lay, is_independent=True)
            PanelMembership.objects.create(panel=panel, user=self.expert)

    def add_health_provider(self) -> Dataset:
        """A second provider, a health board with its own data owner and dataset (health-service
        functions: the DEA research gateway is closed to it)."""
        self.provider2 = OrganisationFactory(
            name="Hywel Dda Health Board", slug="hywel-dda", kind=Organisation.Kind.DATA_PROVIDER
        )
        self.owner2 = make_user(
            Role.DATA_OWNER, full_name="Hana Health", data_owner_of=self.provider2
        )
        self.dataset2 = DatasetFactory(
            slug="admissions",
            title="Hospital admissions",
            provider=self.provider2,
            holder_has_health_service_functions=True,
        )
        self.admitted = VariableFactory(dataset=self.dataset2, name="admitted_on")
        self.diagnosis = VariableFactory(dataset=self.dataset2, name="diagnosis")
        return self.dataset2

    def both_datasets(self) -> list[dict]:
        """The ``datasets`` of an application asking both providers (needs add_health_provider)."""
        return [
            *self.content()["datasets"],
            {
                "dataset": self.dataset2,
                "legal_gateway": LegalGateway.PUBLIC_TASK,
                "justification": "Admissions are the outcome.",
                "variables": [{"variable": "admitted_on"}, {"variable": "diagnosis"}],
            },
        ]

    def owner_of(self, organisation_id: int):
        owners = {self.provider.pk: self.owner}
        if hasattr(self, "provider2"):
            owners[self.provider2.pk] = self.owner2
        return owners[organisation_id]

    def content(self, **overrides) -> dict:
        data = {
            "title": "School attainment and later health",
            "lay_summary": "We will look at how results at school relate to health later in life.",
            "research_question": "Does attainment at 16 predict hospital admissions at 30?",
            "public_benefit": "Evidence for early-years policy in Wales.",
            "purpose": "public_policy",
            "start_date": datetime.date(2027, 1, 1),
            "end_date": datetime.date(2028, 12, 31),
            "funder": "Wellcome",
            "lead_organisation": self.university,
            "members": [
                {"user": self.pi, "project_role": "principal_investigator"},
                {"user": self.colleague, "project_role": "researcher"},
            ],
            "datasets": [
                {
                    "dataset": self.dataset,
                    "legal_gateway": LegalGateway.PUBLIC_TASK,
                    "justification": "Attainment is the exposure.",
                    "variables": [
                        {"variable": "school_year", "justification": ""},
                        {"variable": "grade", "justification": ""},
                    ],
                }
            ],
        }
        data.update(overrides)
        return data

    def decide(
        self, track: ReviewTrack, outcome: str, rationale: str = "", conditions=()
    ) -> ReviewTrack:
        """Decide a track the way its people do: an owner signs off; on a panel track the
        members the panel needs vote ``outcome`` and the chair closes."""
        rationale = rationale or ("" if outcome == Outcome.APPROVED else "Reasons given.")
        if track.kind == "owner_signoff":
            return reviews_services.review_track_decide(
                track=track,
                by=self.owner_of(track.organisation_id),
                outcome=outcome,
                rationale=rationale,
                conditions=conditions,
            )
        return decide_as_panel(track, outcome, rationale, conditions)

    # The safeguards every route needs: ethics recorded, outputs declared, disclosure rules
    # acknowledged, access inside the TRE only.
    SAFEGUARDS = {
        "ethics_reference": "REC 24/WA/0001",
        "ethics_committee": "Wales Research Ethics Committee 3",
        "ethics_approved_on": datetime.date(2026, 1, 15),
        "intended_outputs": "Aggregate tables and model estimates for a journal article.",
        "access_inside_tre_only": True,
        "acknowledge_disclosure_rules": True,
    }

    def draft(self, *, safeguards: bool = True, **overrides) -> Application:
        application = route_services.application_create(by=self.pi, data=self.content(**overrides))
        if safeguards:
            safes_services.safeguards_update(
                application=application, by=self.pi, data=self.SAFEGUARDS
            )
        return application

    def sign_agreement(self, app: Application) -> None:
        """Every member and the university's signatory accept the current agreement."""
        for member in app.members.select_related("user"):
            safes_services.application_agreement_sign(
                application=app, by=member.user, capacity="member"
            )
        safes_services.application_agreement_sign(
            application=app, by=self.signatory, capacity="organisation_signatory"
        )

    def at(self, state: str, **overrides) -> Application:
        """An application taken through the real route to ``state``.

        ``withdrawn`` is withdrawn from scoping, ``rejected`` is rejected at internal review and
        ``changes_requested`` was asked for in scoping (its one point still unanswered).
        """
        app = self.draft(**overrides)
        if state == State.DRAFT:
            return app
        route_services.application_submit(application=app, by=self.pi)
        # Submission spreads the work: with other scopings open the backup analyst may get it.
        analyst = _reload(app).analyst
        if state == State.SCOPING:
            return _reload(app)
        if state == State.WITHDRAWN:
            route_services.application_withdraw(application=app, by=self.pi, reason="Changed plans")
            return _reload(app)
        if state == State.CHANGES_REQUESTED:
            route_services.application_request_changes(
                application=app,
                by=analyst,
                items=[{"section": "data", "text": "Fewer variables"}],
            )
            return _reload(app)
        route_services.scoping_update(
            application=app,
            by=analyst,
            data={"feasible": True, "scoped_variables": _requested_variables(app)},
        )
        route_services.application_complete_scoping(application=app, by=analyst)
        if state == State.INTERNAL_REVIEW:
            return _reload(app)
        if state == State.REJECTED:
            route_services.application_reject(
                application=app, by=self.reviewer, reason="No benefit"
            )
            return _reload(app)
        route_services.application_refer_to_panels(application=app, by=self.reviewer)
        if state == State.IN_REVIEW:
            return _reload(app)
        for track in _reload(app).tracks.filter(superseded=False, state="open"):
            self.decide(track, Outcome.APPROVED)
        if _reload(app).state == State.APPROVED:
            self.sign_agreement(app)
        if state == State.APPROVED:
            return _reload(app)
        route_services.application_grant_access(application=app, by=self.ops)
        if state == State.ACTIVE:
            return _reload(app)
        if state == State.SUSPENDED:
            route_services.application_suspend(application=app, by=self.ops, reason="Breach")
            return _reload(app)
        if state == State.CLOSED:
            route_services.application_close(application=app, by=self.ops)
            return _reload(app)
        raise ValueError(state)


def _requested_variables(app: Application) -> list[Variable]:
    requested = RequestedVariable.objects.filter(requested_dataset__application=app)
    return list(Variable.objects.filter(pk__in=requested.values("variable_id")))


def _reload(app: Application) -> Application:
    return Application.objects.get(pk=app.pk)
