from pathlib import Path

from django.conf import settings

from core.transitions import policy_for, steps_of
from workflow.lifecycle.diagram import END, START, render
from workflow.models import Closure, ProgressReport


def test_the_lifecycle_diagrams_in_the_docs_are_current():
    page = (Path(settings.BASE_DIR) / "docs" / "lifecycle.md").read_text()
    generated = page[page.index(START) : page.index(END) + len(END)]
    assert generated == render(), "docs/lifecycle.md is stale: paste diagram.render()"


def test_every_lifecycle_transition_has_a_policy_a_role_and_a_notice():
    for model in (ProgressReport, Closure):
        for step in steps_of(model):
            assert step.role, step
            assert step.notify, step
            assert policy_for(model, step.name) is not None, step
