"""Give the demo TRE a past: applications taken through the real route over the last year and
a half, so the turnaround metrics, reminders and forecasts have something to show.

Run after ``load_demo`` (``make run`` and ``make demo`` do both). Idempotent: each demo
application is known by its title and created only when missing.

How the past is made, honestly: every step calls the same service the API calls, with the clock
moved back by time-machine (``workflow/management/history.py``). Events, review tracks, due
dates and notifications are what the services write. No service takes a made-up timestamp, and
nothing reachable from the API can move the clock: time-machine is a development dependency,
installed by ``uv sync`` for ``make run`` and absent from a production install (``--no-dev``),
where this command refuses to run. The notifications the past raised are marked read and not
emailed: they are about things that happened months ago.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from access.models import Organisation, OrganisationMembership, User
from catalogue.models import Dataset
from notifications.services import latest_notification_id, notifications_archive_since
from workflow.involvement import services as involvement
from workflow.involvement.selectors import consumer_panel
from workflow.management import history
from workflow.management.demo_amendments import demo_amendment, demo_panel_amendment
from workflow.management.lifecycle_demo import lifecycle_demo
from workflow.models import (
    Application,
    InvolvementStatus,
    LegalGateway,
    Outcome,
    ProjectRole,
    PublicInterest,
    TeamInvitation,
    TrackKind,
)
from workflow.route import services as route_services
from workflow.route.policies import EDITABLE_STATES

# What every demo application records for the Five Safes (ethics, outputs, TRE-only access).
DEMO_SAFEGUARDS = {
    "ethics_reference": "SAIL-IGRP-ETH-0001",
    "ethics_committee": "Swansea University Medical School Research Ethics Subcommittee",
    "ethics_approved_on": datetime.date(2024, 6, 3),
    "intended_outputs": "Aggregate tables and model estimates for peer-reviewed papers.",
    "access_inside_tre_only": True,
    "acknowledge_disclosure_rules": True,
}

# (title, route, dataset slugs, how it goes, days ago it started)
OPEN = "open"
PLANS: list[tuple[str, str, tuple[str, ...], str, int]] = [
    ("Hospital admissions after school exclusion", "standard", ("pedw",), "done", 520),
    ("Free school meals and attainment at 16", "dea", ("plasc",), "done", 500),
    ("Primary care contacts in the last year of life", "standard", ("wlgp",), "done", 480),
    ("Emergency attendances in winter pressures", "standard", ("edds",), "changes", 460),
    ("Census household structure and child health", "dea", ("census-2021-wales",), "done", 440),
    ("Welsh-medium education and later earnings", "dea", ("plasc",), "review_revise", 420),
    ("GP prescribing of antibiotics to children", "standard", ("wlgp",), "done", 400),
    ("Admissions for self-harm among young adults", "standard", ("pedw",), "rejected", 380),
    ("Housing tenure and respiratory admissions", "dea", ("census-2021-wales",), "done", 360),
    ("Multimorbidity in general practice", "standard", ("wlgp", "pedw"), "done", 330),
    ("Special educational needs and A&E use", "dea", ("plasc",), "changes", 300),
    ("Emergency readmissions within 30 days", "standard", ("pedw",), "done", 270),
    ("Deprivation and diabetes control", "standard", ("wlgp",), "internal_changes", 240),
    ("School census and childhood obesity", "dea", ("plasc",), "done", 215),
    ("Occupation and hospital stays", "dea", ("census-2021-wales",), "done", 190),
    ("Out-of-hours care for older people", "standard", ("edds",), "done", 165),
    ("Asthma prescribing by season", "standard", ("wlgp",), "withdrawn", 150),
    ("Year group attainment gaps in Welsh schools", "dea", ("plasc",), "done", 130),
    ("Frailty and emergency admissions", "standard", ("pedw", "edds"), "done", 110),
    ("Language at home and educational progress", "dea", ("plasc",), "done", 95),
    # Still open, at every stage (as of today).
    ("Long COVID in primary care records", "standard", ("wlgp",), "stuck_a_year", 395),
    ("Teenage pregnancy and school attendance", "dea", ("plasc",), "open_in_review", 36),
    ("Ambulance handovers and outcomes", "standard", ("edds",), "open_approved", 75),
    ("Census migration and GP registration", "dea", ("census-2021-wales",), "open_internal", 45),
    ("Pathways after emergency attendance", "standard", ("pedw",), "open_changes", 35),
    ("Household size and infection admissions", "standard", ("pedw",), "open_scoping", 40),
    ("Childhood vaccination and attainment", "standard", ("wlgp",), "open_scoping", 8),
]


# The project in review whose public involvement the demo shows.
INVOLVED = "Teenage pregnancy and school attendance"
# A project whose consultation the consumer panel has left unanswered for ten days: the
# reminder sweep reminds the panel's members (``consultation.unanswered``).
UNANSWERED = "Census migration and GP registration"


class Command(BaseCommand):
    help = "Add the demo history of past applications (run after load_demo; idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if history.time_machine is None:  # pragma: no cover - production installs
            raise CommandError("demo_history needs the development dependencies (uv sync).")
        try:
            cast = self._cast()
        except User.DoesNotExist as exc:
            raise CommandError("Load the demo TRE first: manage.py load_demo") from exc
        rng = random.Random(2026)  # noqa: S311 - demo durations, not security
        now = timezone.now()
        last_notification = latest_notification_id()
        created = 0
        with transaction.atomic():
            for title, route, slugs, plan, days_ago in PLANS:
                steps = self._steps(plan, route, rng)
                if Application.objects.filter(title=title).exists():
                    continue
                # Never into the future: a long route starts early enough to end by now (each
                # step may also wait for the next working day).
                needed = sum(step[1] for step in steps) + 3 * len(steps) + 2
                start = now - datetime.timedelta(days=max(days_ago, needed))
                start = start.replace(hour=9, minute=30, second=0, microsecond=0)
                history.journey(
                    cast,
                    self._content(title, route, slugs, start),
                    start,
                    steps,
                    working_hours=True,
                )
                created += 1
            self._public_involvement()
            self._unanswered_consultation(cast.researcher, now)
            # Life after access: reports sent and accepted, one overdue (suspended), one with
            # ops, one close-out awaiting its countersignature (workflow/management/
            # lifecycle_demo.py).
            reports = lifecycle_demo(cast, [p[0] for p in PLANS], now)
            # An amendment waiting for ops on the newest live project (docs/amendments.md).
            demo_amendment(cast.researcher)
            # An invitation waiting on a team that can still change, so the team page shows
            # one to withdraw (docs/identity.md).
            self._invitation(cast.researcher)
            # An amendment on the IGRP, one member's vote in: its blind round and rule.
            demo_panel_amendment(
                cast.researcher, User.objects.filter(username="david.panel").first()
            )
            # The past's notifications are history, not news.
            notifications_archive_since(after_id=last_notification)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo history: {created} applications added "
                f"({Application.objects.filter(title__in=[p[0] for p in PLANS]).count()} in all), "
                f"{reports} progress reports."
            )
        )

    # --- an open invitation ---------------------------------------------------------------------

    DEMO_INVITEE = "new.colleague@elsewhere.example"

    def _invitation(self, researcher: User) -> None:
        """Idempotently: one application of ``researcher`` the team can still change has an
        open invitation to an address with no account (its email goes through the outbox)."""
        if TeamInvitation.objects.filter(email=self.DEMO_INVITEE).exists():
            return
        application = (
            Application.objects.filter(members__user=researcher, state__in=EDITABLE_STATES)
            .order_by("pk")
            .first()
        )
        if application is None:
            return
        route_services.team_member_invite(
            application=application,
            email=self.DEMO_INVITEE,
            project_role=ProjectRole.RESEARCHER,
            by=researcher,
        )

    # --- public involvement ----------------------------------------------------------------------

    def _public_involvement(self) -> None:
        """The DEA project in review is of high public interest: the team records a workshop
        and asks the consumer panel, whose feedback the IGRP reads beside the public-benefit
        assessment (idempotent: done once)."""
        application = Application.objects.filter(title=INVOLVED).first()
        if application is None or PublicInterest.objects.filter(application=application).exists():
            return
        panel = consumer_panel()
        if panel is None:  # pragma: no cover - load_demo seats one
            return
        rhian = User.objects.get(username="rhian.researcher")
        involvement.public_interest_flag(
            application=application,
            by=rhian,
            high=True,
            reason="Young people and their families will want to know how school records about "
            "pregnancy are used.",
        )
        involvement.involvement_record(
            application=application,
            by=rhian,
            status=InvolvementStatus.DONE,
            held_on=timezone.localdate() - datetime.timedelta(days=30),
            who="Youth advisory group of a Welsh young parents' charity (9 young people)",
            what="Whether linking school attendance to maternity records is acceptable, and "
            "which results would matter to them.",
            what_changed="We dropped free-school-meal status from the variables and added "
            "support at school after the birth as a second outcome.",
        )
        consultation = involvement.consultation_request(
            application=application,
            by=rhian,
            question="Is our lay summary clear, and what should we tell young parents about the "
            "results?",
        )
        chair = panel.memberships.filter(is_chair=True, left_on__isnull=True).first()
        if chair is not None:
            involvement.consultation_answer(
                consultation=consultation,
                by=chair.user,
                feedback="The summary is clear. Say plainly that nobody is identified and that "
                "schools never see the linked records; publish a short summary for young "
                "parents with the charity.",
            )

    def _unanswered_consultation(self, researcher: User, now: datetime.datetime) -> None:
        """The team asked the consumer panel ten days ago and is still waiting (idempotent:
        asked once)."""
        application = Application.objects.filter(title=UNANSWERED).first()
        if application is None or application.consultations.exists() or consumer_panel() is None:
            return
        with history.time_machine.travel(now - datetime.timedelta(days=10), tick=False):
            involvement.consultation_request(
                application=application,
                by=researcher,
                question="Would people registered with a GP after moving to Wales object to "
                "linking their census records, and how should we explain it?",
            )

    # --- who and what ----------------------------------------------------------------------------

    def _cast(self) -> history.Cast:
        owners = {
            m.organisation_id: m.user
            for m in OrganisationMembership.objects.filter(
                capacity=OrganisationMembership.Capacity.DATA_OWNER
            ).select_related("user")
        }
        return history.Cast(
            researcher=User.objects.get(username="rhian.researcher"),
            reviewer=User.objects.get(username="gwen.reviewer"),
            ops=User.objects.get(username="owain.ops"),
            owner_of=owners.__getitem__,
            safeguards=DEMO_SAFEGUARDS,
            signatory=User.objects.get(username="dylan.signatory"),
        )

    def _content(
        self, title: str, route: str, slugs: tuple[str, ...], start: datetime.datetime
    ) -> dict[str, Any]:
        datasets = []
        for slug in slugs:
            dataset = Dataset.objects.get(slug=slug)
            variables = dataset.variables.filter(is_identifying=False).order_by("id")[:3]
            gateway = (
                LegalGateway.DEA_RESEARCH
                if route == "dea" and dataset.dea_gateway_permitted
                else LegalGateway.PUBLIC_TASK
            )
            datasets.append(
                {
                    "dataset": dataset,
                    "legal_gateway": gateway,
                    "justification": f"{dataset.title} holds the outcome we study.",
                    "variables": [{"variable": v.name, "justification": ""} for v in variables],
                }
            )
        researcher = User.objects.get(username="rhian.researcher")
        return {
            "title": title,
            "lay_summary": f"We will study {title.lower()} in Wales using linked, "
            "de-identified records, to inform services.",
            "research_question": f"What is known about {title.lower()}?",
            "public_benefit": "Evidence for NHS Wales and the Welsh Government.",
            "purpose": "public_service_delivery",
            "start_date": (start + datetime.timedelta(days=150)).date(),
            "end_date": (start + datetime.timedelta(days=900)).date(),
            "funder": "Health and Care Research Wales",
            "lead_organisation": Organisation.objects.get(slug="swansea-university"),
            # Rhian alone: Tomos, who holds no accreditation yet, is kept for the live demo of
            # accreditation running in parallel with a review.
            "members": [{"user": researcher, "project_role": "principal_investigator"}],
            "datasets": datasets,
        }

    # --- how long each step took -----------------------------------------------------------------

    def _steps(self, plan: str, route: str, rng: random.Random) -> list[history.Step]:
        r = rng.randint
        scoping: list[history.Step] = [("submit", 0)]
        random_changes = plan in ("done", "rejected") and r(1, 5) == 1
        if plan in ("changes", "internal_changes", "stuck_a_year") or random_changes:
            scoping += [("request_changes", r(6, 14)), ("resubmit", r(4, 15))]
        if plan == "stuck_a_year":
            # Asked twice, the second answer still not in a year later.
            return [*scoping, ("request_changes", r(10, 20))]
        if plan == "open_scoping":
            return [("submit", 0)]
        if plan == "open_changes":
            return [("submit", 0), ("request_changes", r(12, 18))]
        scoping.append(("complete_scoping", r(10, 26)))
        if plan == "withdrawn":
            return [("submit", 0), ("withdraw", r(5, 12))]
        review: list[history.Step] = []
        if plan == "internal_changes":
            review += [("request_changes", r(2, 5)), ("resubmit", r(3, 8))]
        if plan == "open_internal":
            return [*scoping]
        if plan == "rejected":
            return [*scoping, ("reject", r(3, 7))]
        review.append(("refer", r(2, 7)))
        tracks = self._tracks(route, rng)
        if plan == "open_in_review":
            return [*scoping, *review]
        decisions = self._decisions(tracks)
        if plan == "review_revise":
            # The slowest panel asks for revision; on resubmission only its track reopens.
            name, days, options = decisions[-1]
            decisions[-1] = (name, days, {**options, "outcome": Outcome.REVISE_AND_RESUBMIT})
            again: list[history.Step] = [("decide", r(9, 16), {"kind": options["kind"]})]
            revise: list[history.Step] = [*decisions, ("resubmit", r(10, 20)), *again]
            return [*scoping, *review, *revise, ("grant", r(2, 6))]
        if plan == "open_approved":
            return [*scoping, *review, *decisions]
        return [*scoping, *review, *decisions, ("grant", r(2, 7))]

    @staticmethod
    def _tracks(route: str, rng: random.Random) -> list[tuple[str, int]]:
        """(kind, days from referral) of each track, soonest first."""
        tracks = [
            (TrackKind.IGRP, rng.randint(11, 27)),
            (TrackKind.OWNER_SIGNOFF, rng.randint(4, 16)),
        ]
        if route == "dea":
            tracks.append((TrackKind.DEA_PANEL, rng.randint(18, 42)))
        return sorted(tracks, key=lambda t: t[1])

    @staticmethod
    def _decisions(tracks: list[tuple[str, int]]) -> list[tuple[str, float, dict[str, Any]]]:
        steps: list[tuple[str, float, dict[str, Any]]] = []
        previous = 0
        for kind, days in tracks:
            steps.append(("decide", days - previous, {"kind": kind}))
            previous = days
        return steps
