"""Shared helpers for the amendment tests: a live project and what an amendment can add to it
(people from the same and from a new organisation, a DEA dataset with its own owner, a dataset
a pre-approved category covers)."""

from __future__ import annotations

from access.models import Organisation, Role
from catalogue.models import Purpose, Sensitivity
from tests.factories import make_user
from tests.factories.access import OrganisationFactory, accredit, make_signatory
from tests.factories.catalogue import DatasetFactory, VariableFactory, make_category
from tests.factories.workflow import World
from workflow.models import Application, State


class Amendments:
    """A World with an active project and the people and data an amendment may add."""

    def __init__(self, state: str = State.ACTIVE) -> None:
        self.world = w = World()
        self.project: Application = w.at(state)
        self.pi, self.colleague, self.ops = w.pi, w.colleague, w.ops
        self.chair = w.panel  # chairs the IGRP and the DEA panel
        # A new analyst of the same university, trained; one from another university.
        self.newcomer = make_user(
            Role.RESEARCHER, full_name="Nia Newcomer", affiliation=w.university
        )
        accredit(self.newcomer)
        self.cardiff = OrganisationFactory(name="Cardiff University", slug="cardiff")
        self.cardiff_signatory = make_signatory(self.cardiff, full_name="Carys Signatory")
        self.visitor = make_user(
            Role.RESEARCHER, full_name="Victor Visitor", affiliation=self.cardiff
        )
        accredit(self.visitor)
        # Data shared under the DEA research gateway, with its own provider and owner.
        self.ons = OrganisationFactory(
            name="Office for National Statistics", slug="ons", kind=Organisation.Kind.DATA_PROVIDER
        )
        self.ons_owner = make_user(Role.DATA_OWNER, full_name="Osian ONS", data_owner_of=self.ons)
        self.census = DatasetFactory(
            slug="census", title="Census 2021", provider=self.ons, dea_gateway_permitted=True
        )
        VariableFactory(dataset=self.census, name="household_size")
        # Data a pre-approved category covers, from a third provider.
        self.nwis = OrganisationFactory(
            name="Digital Health Wales", slug="dhw", kind=Organisation.Kind.DATA_PROVIDER
        )
        self.nwis_owner = make_user(
            Role.DATA_OWNER, full_name="Delyth Data", data_owner_of=self.nwis
        )
        self.births = DatasetFactory(slug="births", title="Birth records", provider=self.nwis)
        VariableFactory(dataset=self.births, name="birth_weight")
        self.category = make_category(
            dataset=self.births,
            by=self.nwis_owner,
            title="Population statistics",
            permitted_purposes=[Purpose.PUBLIC_POLICY],
            max_sensitivity=Sensitivity.PSEUDONYMISED,
        )

    def panel_votes(self, track, choice: str = "approved") -> None:
        """The panel's members vote ``choice`` on a panel track, enough for its quorum and its
        independent vote (the World's panels: the chair, a lay member, an expert)."""
        from workflow.amendments import services
        from workflow.amendments.policies import can_vote

        if track.reviewer not in ("igrp", "dea_panel"):
            return
        for member in (self.world.lay, self.world.expert, self.chair):
            if not can_vote(member, track):
                continue
            services.amendment_vote_cast(
                track=track,
                by=member,
                choice=choice,
                rationale="" if choice == "approved" else "Not in scope.",
            )

    def amend_and_decide(self, number_of: int = 1, first: int = 0) -> None:
        """``number_of`` amendments of the project, each asked for, submitted, its IGRP track
        voted on and decided, and so approved (a new question each: ``first`` numbers them)."""
        from workflow.amendments import services

        for i in range(first, first + number_of):
            draft = services.amendment_create(
                application=self.project,
                by=self.pi,
                changes=[{"type": "change_question", "research_question": f"Question {i}?"}],
                reason="The project needs it.",
            )
            services.amendment_submit(amendment=draft, by=self.pi)
            track = draft.tracks.get()
            self.panel_votes(track)
            services.amendment_track_decide(track=track, by=self.chair, outcome="approved")
