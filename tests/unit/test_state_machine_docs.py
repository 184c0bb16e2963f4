from pathlib import Path

from django.conf import settings

from core.transitions import policy_for, steps_of
from notifications.notices import KINDS
from workflow.models import Application, EventKind, ReviewTrack, State
from workflow.route.selectors import HOLDER_WORDS
from workflow.statemachine import render, transitions


def test_state_diagram_in_docs_is_current():
    committed = (Path(settings.BASE_DIR) / "docs" / "state-machine.md").read_text()
    assert committed == render(), "docs/state-machine.md is stale: run manage.py statemachine"


def test_every_transition_declares_an_event_and_a_notification():
    for model in (Application, ReviewTrack):
        for row in transitions(model):
            assert row["event"] in EventKind.values, row
            assert row["notify"], row


def test_every_state_has_an_owner_role():
    assert set(HOLDER_WORDS) == set(State)


def test_every_transition_a_person_takes_has_a_policy_and_an_actor_role():
    for model in (Application, ReviewTrack):
        for step in steps_of(model):
            assert step.role, step
            if not step.system:
                assert policy_for(model, step.name) is not None, step


def test_every_state_is_reachable_from_draft():
    edges = {}
    for row in transitions(Application):
        edges.setdefault(row["source"], set()).add(row["target"])
    seen, todo = {State.DRAFT.value}, [State.DRAFT.value]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(State.values)


def test_every_notification_kind_has_a_message():
    kinds = {row["notify"] for model in (Application, ReviewTrack) for row in transitions(model)}
    assert kinds <= set(KINDS)


def test_statemachine_command_check_fails_when_the_docs_are_stale(tmp_path, monkeypatch):
    import pytest
    from django.core.management import call_command

    from workflow.management.commands import statemachine

    stale = tmp_path / "state-machine.md"
    stale.write_text("# old diagram\n")
    monkeypatch.setattr(statemachine, "TARGET", stale)
    with pytest.raises(SystemExit, match="stale"):
        call_command("statemachine", "--check")
    call_command("statemachine")
    assert stale.read_text() == render()
    call_command("statemachine", "--check")


def test_the_affiliation_machine_declares_its_events_notices_and_policies():
    from access.models import Affiliation

    for row in transitions(Affiliation):
        assert row["notify"] in KINDS, row
    for step in steps_of(Affiliation):
        assert step.role, step
        assert policy_for(Affiliation, step.name) is not None, step


def test_the_amendment_diagrams_and_routing_table_in_the_docs_are_current():
    from workflow.amendments.diagram import END, START
    from workflow.amendments.diagram import render as render_amendments

    page = (Path(settings.BASE_DIR) / "docs" / "amendments.md").read_text()
    generated = page[page.index(START) : page.index(END) + len(END)]
    assert generated == render_amendments(), "docs/amendments.md is stale: paste its render()"


def test_every_amendment_transition_has_an_event_a_policy_and_a_known_notice():
    from workflow.models import Amendment, AmendmentTrack

    for model in (Amendment, AmendmentTrack):
        for step in steps_of(model):
            assert step.event.startswith("amendment."), step
            assert step.role, step
            if not step.system:
                assert policy_for(model, step.name) is not None, step
            if step.notify:
                assert step.notify in KINDS, step
