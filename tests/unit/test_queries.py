"""``core.queries.among``: an ``__in`` over many values is one parameter on PostgreSQL, and
selects what the list selects."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import User
from core.queries import among
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_among_selects_what_the_list_selects_with_one_parameter_for_any_number():
    people = [make_user("researcher") for _ in range(3)]
    wanted = [people[0].pk, people[2].pk, *range(10**9, 10**9 + 70_000)]
    with CaptureQueriesContext(connection) as captured:
        found = set(
            User.objects.filter(pk__in=among(wanted, "bigint")).values_list("pk", flat=True)
        )
    assert found == {people[0].pk, people[2].pk}
    # 70,002 values: more than the 65,535 parameters psycopg accepts as placeholders.
    assert len(captured) == 1
    names = {p.username for p in people[1:]}
    by_name = User.objects.filter(username__in=among(names, "text"))
    assert set(by_name.values_list("pk", flat=True)) == {people[1].pk, people[2].pk}
    assert not User.objects.filter(pk__in=among([], "bigint")).exists()


def test_among_names_only_the_types_it_knows():
    with pytest.raises(ValueError, match="not one of"):
        among([1], "bigint); drop table x; --")
