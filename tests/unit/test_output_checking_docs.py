from pathlib import Path

from django.conf import settings

from workflow.output_checks.diagram import END, START, render


def test_the_output_request_diagram_in_the_docs_is_current():
    page = (Path(settings.BASE_DIR) / "docs" / "output-checking.md").read_text()
    generated = page[page.index(START) : page.index(END) + len(END)]
    assert generated == render(), "docs/output-checking.md is stale: paste diagram.render()"
