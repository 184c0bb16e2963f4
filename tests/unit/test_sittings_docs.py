from pathlib import Path

from django.conf import settings

from core.transitions import policy_for, steps_of
from workflow.models import Sitting
from workflow.sittings.diagram import END, START, render


def test_the_sitting_diagram_in_the_review_docs_is_current():
    page = (Path(settings.BASE_DIR) / "docs" / "review.md").read_text()
    generated = page[page.index(START) : page.index(END) + len(END)]
    assert generated == render(), (
        "docs/review.md is stale: paste workflow.sittings.diagram.render()"
    )


def test_every_sitting_transition_has_a_policy_and_a_role():
    for step in steps_of(Sitting):
        assert step.role, step
        assert policy_for(Sitting, step.name) is not None, step
