"""Access grants: created when the project goes live, suspended at once when a member's
accreditation lapses (and reinstated when renewed), held with the project, ended at its end."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from access.models import AccessGrant, AccreditationState, GrantState, Requirement
from access.safe_people import services as access_services
from access.tasks import end_access_grants, expire_accreditations
from notifications.models import Notification
from tests.factories.access import accredit
from tests.factories.workflow import World
from workflow.models import Application, LegalGateway, State
from workflow.route import services as route_services

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=datetime.UTC)


def at(day: datetime.date):
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(6, 0), tzinfo=datetime.UTC), tick=False
    )


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield World()


def live(world: World, **overrides) -> Application:
    with time_machine.travel(NOW, tick=False):
        return world.at(State.ACTIVE, **overrides)


def grant_of(application, person) -> AccessGrant:
    return AccessGrant.objects.get(application=application, person=person)


def test_grant_access_gives_each_member_a_grant_until_the_project_ends(world):
    application = live(world)
    grants = AccessGrant.objects.filter(application=application).order_by("person__full_name")
    assert [g.person for g in grants] == [world.colleague, world.pi]
    for grant in grants:
        assert grant.state == GrantState.ACTIVE
        assert grant.start_on == datetime.date(2027, 1, 1)  # the project's start, later than today
        assert grant.end_on == application.end_date == datetime.date(2028, 12, 31)
        assert grant.requirements == [Requirement.SAFE_RESEARCHER]
        assert grant.granted_by == world.ops
    assert [r.gate for r in application.five_safes_runs.order_by("id")] == [
        "refer_to_panels",
        "grant_access",
    ]


def test_accreditation_expiry_suspends_the_live_grant_at_once_and_tells_member_and_ops(world):
    application = live(world)
    award = world.colleague.accreditations.get()
    last_day = award.expires_on  # two years from "today", before the project ends
    with at(last_day):
        expire_accreditations.run()
    assert grant_of(application, world.colleague).state == GrantState.ACTIVE
    with at(last_day + datetime.timedelta(days=1)):
        expire_accreditations.run()
    grant = grant_of(application, world.colleague)
    assert grant.state == GrantState.SUSPENDED
    assert "safe researcher training" in grant.suspension_reason.lower()
    assert grant.events.last().transition == "suspend"
    told = set(
        Notification.objects.filter(kind="access_grant.suspended").values_list(
            "recipient__full_name", flat=True
        )
    )
    assert told >= {"Colin Colleague", "Olive Ops"}
    # The PI's award lapsed the same night: theirs is suspended too; the project stays live.
    assert grant_of(application, world.pi).state == GrantState.SUSPENDED
    assert Application.objects.get(pk=application.pk).state == State.ACTIVE


def test_renewal_reinstates_the_suspended_grant(world):
    application = live(world)
    award = world.colleague.accreditations.get()
    after = award.expires_on + datetime.timedelta(days=3)
    with at(after):
        expire_accreditations.run()
        assert grant_of(application, world.colleague).state == GrantState.SUSPENDED
        renewal = access_services.accreditation_apply(
            by=world.colleague,
            kind="safe_researcher",
            issuer="ONS Safe Researcher Training",
            certificate_number="SRT-RENEWED",
            issued_on=after,
        )
        assert grant_of(application, world.colleague).state == GrantState.SUSPENDED
        access_services.accreditation_accredit(accreditation=renewal, by=world.officer)
    grant = grant_of(application, world.colleague)
    assert grant.state == GrantState.ACTIVE
    assert [e.transition for e in grant.events.all()] == ["grant", "suspend", "reinstate"]
    assert Notification.objects.filter(
        kind="access_grant.reinstated", recipient=world.colleague
    ).exists()


def test_a_member_with_a_renewed_award_keeps_access_when_the_old_one_expires(world):
    application = live(world)
    old = world.colleague.accreditations.get()
    # Renewed early: a second award running beyond the first.
    accredit(
        world.colleague,
        issued_on=datetime.date(2026, 11, 20),
        expires_on=datetime.date(2030, 11, 19),
    )
    with at(old.expires_on + datetime.timedelta(days=1)):
        expire_accreditations.run()
    old.refresh_from_db()
    assert old.state == AccreditationState.EXPIRED
    assert grant_of(application, world.colleague).state == GrantState.ACTIVE


@pytest.mark.parametrize("name", ["suspend", "revoke"])
def test_suspending_or_revoking_accreditation_suspends_access_at_once(world, name):
    application = live(world)
    award = world.pi.accreditations.get()
    with time_machine.travel(NOW, tick=False):
        getattr(access_services, f"accreditation_{name}")(
            accreditation=award, by=world.officer, reason="Breach of the access declaration."
        )
    assert grant_of(application, world.pi).state == GrantState.SUSPENDED
    assert grant_of(application, world.colleague).state == GrantState.ACTIVE
    if name == "suspend":
        with time_machine.travel(NOW, tick=False):
            access_services.accreditation_reinstate(accreditation=award, by=world.officer)
        assert grant_of(application, world.pi).state == GrantState.ACTIVE


def test_dea_project_grants_need_dea_accreditation_too(world):
    dataset = {**world.content()["datasets"][0], "legal_gateway": LegalGateway.DEA_RESEARCH}
    dea = {p: accredit(p, "dea_full") for p in (world.pi, world.colleague)}
    application = live(world, datasets=[dataset])
    grant = grant_of(application, world.pi)
    assert grant.requirements == [Requirement.SAFE_RESEARCHER, Requirement.DEA_ACCREDITED]
    with time_machine.travel(NOW, tick=False):
        access_services.accreditation_revoke(
            accreditation=dea[world.pi], by=world.officer, reason="Revoked by UKSA."
        )
    grant.refresh_from_db()
    assert grant.state == GrantState.SUSPENDED
    assert "dea accredited researcher" in grant.suspension_reason.lower()


def test_grants_end_after_the_project_end_date(world):
    application = live(world, end_date=datetime.date(2027, 6, 30))
    with at(datetime.date(2027, 6, 30)):
        assert end_access_grants.run() == {"ended": 0}
    with at(datetime.date(2027, 7, 1)):
        assert end_access_grants.run() == {"ended": 2}
        assert end_access_grants.run() == {"ended": 0}
    grant = grant_of(application, world.pi)
    assert grant.state == GrantState.ENDED
    assert "30 June 2027" in grant.end_reason
    assert Notification.objects.filter(kind="access_grant.ended", recipient=world.pi).exists()


def test_project_suspension_holds_every_grant_and_reinstatement_releases_the_accredited(world):
    application = live(world)
    with time_machine.travel(NOW, tick=False):
        route_services.application_suspend(application=application, by=world.ops, reason="Audit.")
    assert {g.state for g in application.access_grants.all()} == {GrantState.SUSPENDED}
    # While the project is held, a lapse and a renewal do not bring access back on their own.
    award = world.colleague.accreditations.get()
    with time_machine.travel(NOW, tick=False):
        access_services.accreditation_suspend(
            accreditation=award, by=world.officer, reason="Check."
        )
        access_services.accreditation_reinstate(accreditation=award, by=world.officer)
    assert grant_of(application, world.colleague).state == GrantState.SUSPENDED
    with time_machine.travel(NOW, tick=False):
        access_services.accreditation_suspend(
            accreditation=award, by=world.officer, reason="Check again."
        )
        route_services.application_reinstate(application=application, by=world.ops)
    assert grant_of(application, world.pi).state == GrantState.ACTIVE
    assert grant_of(application, world.colleague).state == GrantState.SUSPENDED


def test_closing_the_project_ends_every_grant(world):
    application = live(world)
    with time_machine.travel(NOW, tick=False):
        route_services.application_close(application=application, by=world.ops, reason="Finished.")
    assert {g.state for g in application.access_grants.all()} == {GrantState.ENDED}
    assert grant_of(application, world.pi).end_reason == "Finished."


def test_grant_history_is_append_only(world):
    application = live(world)
    event = grant_of(application, world.pi).events.get()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
