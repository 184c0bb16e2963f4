"""Both output checkers submitting their blind reviews at the same moment, on real PostgreSQL:
both reviews are kept and exactly one consolidation step opens.

Each thread has its own database connection (``tests/integration/test_races.py``)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.integration.test_races import race
from tests.support.outputs import FAILING_TABLE, PASSING_TABLE, Outputs, upload
from workflow.models import CheckerReview, OutputEvent, OutputRequest, OutputRequestState
from workflow.output_checks import services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("attempt", range(3))
def test_two_checkers_reviewing_at_once_open_one_consolidation(attempt):
    o = Outputs()
    request = services.output_request_create(application=o.project, by=o.pi, title="Tables")
    for name, content in (("ages.csv", FAILING_TABLE), ("regions.csv", PASSING_TABLE)):
        services.output_file_add(
            output_request=request, by=o.pi, upload=upload(name, content), description=name
        )
    services.output_request_submit(output_request=request, by=o.pi)
    verdicts = [{"file": f.pk, "decision": "approve", "comment": ""} for f in request.files.all()]

    def review(checker):
        return lambda: services.output_review_submit(
            output_request=OutputRequest.objects.get(pk=request.pk), by=checker, verdicts=verdicts
        )

    results = race(review(o.checker1), review(o.checker2))
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    assert CheckerReview.objects.filter(round__request=request).count() == 2
    assert OutputRequest.objects.get(pk=request.pk).state == OutputRequestState.CONSOLIDATING
    assert OutputEvent.objects.filter(request=request, transition="open_consolidation").count() == 1
