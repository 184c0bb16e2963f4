"""Settings for the Celery worker that integration tests start as a subprocess.

The project's settings plus what the tests need to observe and to go fast: email written to
files in a folder the test reads, a tiny Redis visibility timeout (so a message held by a killed
worker comes back within seconds, not an hour) and a short stale-claim timeout.
"""

import os

from config.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.support.email.SlowFileBackend"
EMAIL_FILE_PATH = os.environ["TRE_TEST_EMAIL_DIR"]

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 5,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
NOTIFICATIONS_SENDING_STALE_AFTER = 2
# A test that makes the mail server fail can shorten the backoff so the retry is due at once.
NOTIFICATIONS_RETRY_BASE_SECONDS = float(os.environ.get("TRE_TEST_RETRY_BASE_SECONDS", "60"))
