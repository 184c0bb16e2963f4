"""Email backends for tests only."""

from __future__ import annotations

import os
import smtplib
import time
from pathlib import Path

from django.core.mail.backends import filebased, locmem


class FlakyBackend(locmem.EmailBackend):
    """Locmem, but the next ``failures`` sends raise as an unreachable SMTP server would."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class SlowFileBackend(filebased.EmailBackend):
    """File-based, optionally slow, so a test can kill a worker in the middle of a delivery.

    With ``TRE_TEST_EMAIL_DELAY`` set, each send first drops a ``delivering-<pid>`` marker in
    ``TRE_TEST_MARKER_DIR`` (the test sees delivery has started) and sleeps before writing.
    While a ``mail-down`` file exists in that folder, every send fails as an SMTP server that
    is down would.
    """

    def send_messages(self, messages):
        marker_dir = os.environ.get("TRE_TEST_MARKER_DIR")
        if marker_dir and (Path(marker_dir) / "mail-down").exists():
            # The test's mail server is down until the test removes the file.
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        delay = float(os.environ.get("TRE_TEST_EMAIL_DELAY", "0") or 0)
        if delay:
            marker_dir = Path(os.environ["TRE_TEST_MARKER_DIR"])
            (marker_dir / f"delivering-{os.getpid()}").write_text("started")
            time.sleep(delay)
        return super().send_messages(messages)
