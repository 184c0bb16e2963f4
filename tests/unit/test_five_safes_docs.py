from pathlib import Path

from django.conf import settings

from workflow.safes import public_benefit_framework as public_benefit
from workflow.safes.checks import docs_tables


def test_five_safes_docs_show_the_checks_and_machines_in_force():
    docs = (Path(settings.BASE_DIR) / "docs" / "five-safes.md").read_text()
    assert docs_tables() in docs, "docs/five-safes.md is stale: paste workflow.safes.docs_tables()"


def test_public_benefit_framework_has_every_question_of_the_source():
    assert [len(t["factors"]) for t in public_benefit.TESTS.values()] == [7, 5, 5]
    assert len(public_benefit.SCALE) == 18
    assert all(q["left"] and q["right"] and q["source"] for q in public_benefit.SCALE)
    assert len(public_benefit.BENEFITS) == 25
    assert len(public_benefit.RISKS) == 14
    assert len(public_benefit.BENEFICIARY_QUESTIONS) == 6
    assert public_benefit.SCALE[0]["question"].startswith("Does the individual's whose data")
