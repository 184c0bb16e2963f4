import pytest
from django.db import connection

from access.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_heartbeat_reports_database_vendor_and_ok():
    result = heartbeat()
    assert result["ok"] is True
    assert result["database"] == connection.vendor
    assert result["at"]
