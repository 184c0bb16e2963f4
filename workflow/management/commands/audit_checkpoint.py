"""``manage.py audit_checkpoint``: seal every chain head into AUDIT_CHECKPOINT_DIR.

Beat runs the same hourly (``workflow.tasks.audit_checkpoint``); run it by hand after a
release or before a backup. Refuses, naming each break, when the log does not verify.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from workflow.audit_check import CheckpointRefused, checkpoint_dir, write_checkpoint


class Command(BaseCommand):
    help = "Write a sealed checkpoint of every audit chain's head outside the database."

    def handle(self, *args, **options):
        if checkpoint_dir() is None:
            raise CommandError("AUDIT_CHECKPOINT_DIR is not set: nowhere to write a checkpoint.")
        try:
            path = write_checkpoint()
        except CheckpointRefused as refused:
            for found in refused.breaks:
                self.stderr.write(f"BROKEN {found}")
            raise CommandError(f"{refused}; run verify_audit.") from refused
        self.stdout.write(f"Checkpoint written: {path}")
