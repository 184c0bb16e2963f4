"""Researcher accreditation: applying with evidence, officers deciding (never their own),
expiry by the nightly task, reminders, and the append-only history."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from access.models import (
    Accreditation,
    AccreditationEvent,
    AccreditationKind,
    AccreditationState,
    Role,
    default_expiry,
)
from access.safe_people import services
from access.tasks import expire_accreditations
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from notifications.models import Notification
from tests.factories import OrganisationFactory, make_user
from tests.factories.access import accredit
from workflow.turnaround.reminders import reminders_sweep

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 21)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 21, 10, 0, tzinfo=datetime.UTC)):
        yield


@pytest.fixture
def org():
    return OrganisationFactory(name="Cardiff University", slug="cardiff")


@pytest.fixture
def researcher(org):
    return make_user(Role.RESEARCHER, full_name="Rhian Researcher", affiliation=org)


@pytest.fixture
def officer():
    return make_user(Role.ACCREDITATION_OFFICER, full_name="Nia Officer")


def evidence(**overrides) -> dict:
    data = {
        "kind": AccreditationKind.SAFE_RESEARCHER,
        "issuer": "ONS Safe Researcher Training",
        "certificate_number": "SRT-123",
        "issued_on": datetime.date(2026, 11, 1),
    }
    data.update(overrides)
    return data


def apply(by, **overrides) -> Accreditation:
    return services.accreditation_apply(by=by, **evidence(**overrides))


# --- applying ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "years"),
    [("safe_researcher", 2), ("dea_full", 5), ("dea_provisional", 3)],
)
def test_accreditation_expiry_defaults_to_the_kinds_validity(kind, years, researcher, org):
    supervisor = None
    if kind == "dea_provisional":
        supervisor = make_user(Role.RESEARCHER, affiliation=org)
        accredit(supervisor, "dea_full")
    accreditation = apply(researcher, kind=kind, supervisor=supervisor)
    assert accreditation.state == AccreditationState.APPLIED
    assert accreditation.expires_on == datetime.date(2026 + years, 10, 31)


def test_default_expiry_of_a_leap_day_award_is_the_day_before_the_anniversary():
    assert default_expiry("safe_researcher", datetime.date(2024, 2, 29)) == datetime.date(
        2026, 2, 27
    )


def test_accreditation_validity_is_configurable(researcher, settings):
    settings.ACCREDITATION_VALIDITY_YEARS = {**settings.ACCREDITATION_VALIDITY_YEARS, "dea_full": 4}
    assert apply(researcher, kind="dea_full").expires_on == datetime.date(2030, 10, 31)


def test_accreditation_apply_tells_the_officers_not_the_applicant(researcher, officer):
    accreditation = apply(researcher)
    note = Notification.objects.get(kind="accreditation.applied")
    assert note.recipient == officer
    assert "Rhian Researcher" in note.subject
    assert note.url == f"/accreditation/decisions/{accreditation.pk}/"
    assert accreditation.events.get().transition == "apply"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"expires_on": datetime.date(2026, 10, 1)}, "expires_on"),
        ({"expires_on": datetime.date(2026, 11, 1)}, "expires_on"),
        ({"issued_on": datetime.date(2026, 12, 1)}, "issued_on"),
        (
            {"issued_on": datetime.date(2020, 1, 1), "expires_on": datetime.date(2022, 1, 1)},
            "expires_on",
        ),
        ({"kind": "dea_provisional"}, "supervisor"),
        ({"certificate_number": "  "}, "certificate_number"),
        ({"issuer": ""}, "issuer"),
        ({"kind": "wizard"}, "kind"),
    ],
    ids=[
        "expiry-before-issue",
        "expiry-on-issue",
        "issued-in-future",
        "already-expired",
        "provisional-without-supervisor",
        "no-certificate",
        "no-issuer",
        "unknown-kind",
    ],
)
def test_accreditation_apply_with_bad_evidence_is_400_and_creates_nothing(
    researcher, overrides, field
):
    with pytest.raises(ValidationFailed) as error:
        apply(researcher, **overrides)
    assert field in error.value.fields
    assert not Accreditation.objects.exists()
    assert not Notification.objects.exists()


def test_provisional_supervisor_at_another_organisation_is_refused(researcher):
    elsewhere = make_user(Role.RESEARCHER, affiliation=OrganisationFactory(slug="bangor"))
    accredit(elsewhere, "dea_full")
    with pytest.raises(ValidationFailed) as error:
        apply(researcher, kind="dea_provisional", supervisor=elsewhere)
    assert "not at your organisation (Cardiff University)" in error.value.fields["supervisor"][0]


def test_provisional_supervisor_without_full_accreditation_is_refused(researcher, org):
    colleague = make_user(Role.RESEARCHER, full_name="Only Provisional", affiliation=org)
    accredit(colleague, "safe_researcher")
    with pytest.raises(ValidationFailed) as error:
        apply(researcher, kind="dea_provisional", supervisor=colleague)
    assert "does not hold a valid full DEA accreditation" in error.value.fields["supervisor"][0]


def test_provisional_supervising_yourself_is_refused(researcher):
    accredit(researcher, "dea_full")
    with pytest.raises(ValidationFailed, match="problems") as error:
        apply(researcher, kind="dea_provisional", supervisor=researcher)
    assert "your own" in error.value.fields["supervisor"][0]


def test_supervisor_on_a_full_accreditation_is_refused(researcher, org):
    supervisor = make_user(Role.RESEARCHER, affiliation=org)
    with pytest.raises(ValidationFailed) as error:
        apply(researcher, kind="dea_full", supervisor=supervisor)
    assert "supervisor" in error.value.fields


def test_second_application_of_a_kind_waiting_for_a_decision_is_refused(researcher):
    apply(researcher)
    with pytest.raises(ValidationFailed) as error:
        apply(researcher, certificate_number="SRT-124")
    assert "waiting for a decision" in error.value.fields["kind"][0]
    assert Accreditation.objects.count() == 1


def test_only_researchers_apply(officer):
    with pytest.raises(NotAllowed):
        apply(officer)


# --- deciding ------------------------------------------------------------------------------


def test_officer_accredits_and_the_researcher_is_told(researcher, officer):
    accreditation = services.accreditation_accredit(accreditation=apply(researcher), by=officer)
    assert accreditation.state == AccreditationState.ACCREDITED
    assert (accreditation.decided_by, accreditation.decided_at is not None) == (officer, True)
    assert accreditation.is_valid_on(TODAY)
    note = Notification.objects.get(kind="accreditation.accredited")
    assert note.recipient == researcher
    assert "31 October 2028" in note.body
    assert [e.transition for e in accreditation.events.all()] == ["apply", "accredit"]


def test_officer_cannot_accredit_themself(officer):
    RoleAssignment = officer.role_assignments.model
    RoleAssignment.objects.create(user=officer, role=Role.RESEARCHER)
    officer = type(officer).objects.get(pk=officer.pk)
    own = apply(officer)
    with pytest.raises(NotAllowed, match="your own"):
        services.accreditation_accredit(accreditation=own, by=officer)
    own.refresh_from_db()
    assert own.state == AccreditationState.APPLIED
    assert own.decided_by is None


def test_officer_cannot_decide_an_accreditation_they_supervise(researcher, org):
    supervisor = make_user(Role.ACCREDITATION_OFFICER, Role.RESEARCHER, affiliation=org)
    accredit(supervisor, "dea_full")
    provisional = apply(researcher, kind="dea_provisional", supervisor=supervisor)
    with pytest.raises(NotAllowed):
        services.accreditation_accredit(accreditation=provisional, by=supervisor)
    assert Accreditation.objects.get(pk=provisional.pk).state == AccreditationState.APPLIED


def test_a_researcher_cannot_decide_accreditation(researcher):
    other = make_user(Role.RESEARCHER)
    with pytest.raises(NotAllowed, match="Only accreditation officers"):
        services.accreditation_accredit(accreditation=apply(researcher), by=other)


def test_accrediting_twice_is_409(researcher, officer):
    accreditation = services.accreditation_accredit(accreditation=apply(researcher), by=officer)
    with pytest.raises(InvalidTransition) as error:
        services.accreditation_accredit(accreditation=accreditation, by=officer)
    assert error.value.extra["current_state"] == AccreditationState.ACCREDITED


def test_provisional_is_not_accredited_once_the_supervisor_has_lapsed(researcher, org, officer):
    supervisor = make_user(Role.RESEARCHER, affiliation=org)
    award = accredit(supervisor, "dea_full")
    provisional = apply(researcher, kind="dea_provisional", supervisor=supervisor)
    services.accreditation_revoke(accreditation=award, by=officer, reason="Breach.")
    with pytest.raises(ValidationFailed) as error:
        services.accreditation_accredit(accreditation=provisional, by=officer)
    assert "supervisor" in error.value.fields
    assert Accreditation.objects.get(pk=provisional.pk).state == AccreditationState.APPLIED


@pytest.mark.parametrize("name", ["refuse", "suspend", "revoke"])
def test_decisions_against_the_researcher_need_a_reason(name, researcher, officer):
    accreditation = apply(researcher)
    if name != "refuse":
        accreditation = services.accreditation_accredit(accreditation=accreditation, by=officer)
    before = accreditation.state
    with pytest.raises(ValidationFailed) as error:
        getattr(services, f"accreditation_{name}")(
            accreditation=accreditation, by=officer, reason=" "
        )
    assert "reason" in error.value.fields
    assert Accreditation.objects.get(pk=accreditation.pk).state == before


def test_refusal_tells_the_researcher_why(researcher, officer):
    services.accreditation_refuse(
        accreditation=apply(researcher), by=officer, reason="The certificate number is unknown."
    )
    note = Notification.objects.get(kind="accreditation.refused")
    assert note.recipient == researcher
    assert "The certificate number is unknown." in note.body


def test_suspension_is_lifted_by_reinstating(researcher, officer):
    award = accredit(researcher)
    services.accreditation_suspend(accreditation=award, by=officer, reason="Investigation.")
    award.refresh_from_db()
    assert not award.is_valid_on(TODAY)
    services.accreditation_reinstate(accreditation=award, by=officer)
    award.refresh_from_db()
    assert award.is_valid_on(TODAY)


def test_a_suspended_award_past_its_expiry_cannot_be_reinstated(researcher, officer):
    award = accredit(researcher, issued_on=datetime.date(2024, 12, 1))
    services.accreditation_suspend(accreditation=award, by=officer, reason="Investigation.")
    with (
        time_machine.travel(datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)),
        pytest.raises(ValidationFailed),
    ):
        services.accreditation_reinstate(accreditation=award, by=officer)


# --- expiry and reminders ------------------------------------------------------------------


def test_nightly_task_expires_awards_after_their_last_day_and_only_then(researcher):
    award = accredit(researcher, issued_on=datetime.date(2024, 12, 1))  # last day 30 Nov 2026
    with time_machine.travel(datetime.datetime(2026, 11, 30, 23, 0, tzinfo=datetime.UTC)):
        assert expire_accreditations.run()["expired"] == 0
    with time_machine.travel(datetime.datetime(2026, 12, 1, 6, 0, tzinfo=datetime.UTC)):
        assert expire_accreditations.run()["expired"] == 1
        assert expire_accreditations.run()["expired"] == 0  # idempotent
    award.refresh_from_db()
    assert award.state == AccreditationState.EXPIRED
    event = award.events.get(transition="expire")
    assert (event.actor, event.actor_name) == (None, "System")
    note = Notification.objects.get(kind="accreditation.expired")
    assert note.recipient == researcher
    assert "apply again" in note.body


def _sweep(day: datetime.date) -> None:
    reminders_sweep(now=datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC))


def test_reminders_before_expiry_are_sent_once_each(researcher):
    award = accredit(researcher, issued_on=datetime.date(2024, 12, 1))  # last day 30 Nov 2026
    for _ in range(2):
        _sweep(datetime.date(2026, 9, 1))  # 90 days
    _sweep(datetime.date(2026, 11, 1))  # 29 days
    _sweep(datetime.date(2026, 11, 25))  # 5 days
    notes = Notification.objects.filter(kind="accreditation.expiring", recipient=researcher)
    assert sorted(notes.values_list("dedupe_key", flat=True)) == [
        f"accreditation.expiring:accreditation:{award.pk}:2026-11-30:{d}d" for d in (30, 7, 90)
    ]
    assert "30 November 2026" in notes.first().body


def test_no_reminder_far_from_expiry(researcher):
    accredit(researcher)
    _sweep(TODAY)
    assert not Notification.objects.filter(kind="accreditation.expiring").exists()


# --- history -------------------------------------------------------------------------------


def test_accreditation_history_is_append_only_in_code(researcher):
    event = apply(researcher).events.get()
    event.reason = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    with pytest.raises(TypeError, match="append-only"):
        AccreditationEvent.objects.filter(pk=event.pk).update(reason="x")
    assert AccreditationEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger on PostgreSQL only")
def test_accreditation_history_is_append_only_in_postgresql(researcher):
    event = apply(researcher).events.get()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE access_accreditationevent SET reason = 'x' WHERE id = %s", [event.pk]
        )


def test_accreditation_state_cannot_be_assigned(researcher):
    award = accredit(researcher)
    with pytest.raises(AttributeError):
        award.state = AccreditationState.REVOKED
    assert timezone.localdate() == TODAY
