"""``manage.py verify_audit``: check the whole tamper-evident audit trail.

Every application, accreditation and access grant must have a chain of events; every chain must
hold link by link and seal by seal (the audit key); its head must agree with the object's state
(and an application's version); and no chain may be shorter than, or differ from, the latest
checkpoint in ``AUDIT_CHECKPOINT_DIR``. Prints each break by name (``workflow.audit_check``)
and exits 1; exits 0 with a summary when everything holds.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from workflow.audit_check import checkpoint_dir, verify


class Command(BaseCommand):
    help = "Verify the tamper-evident audit trail: chains, seals, heads and checkpoints."

    def add_arguments(self, parser):
        parser.add_argument(
            "--application", type=int, help="Check only this application's chain (its id)."
        )

    def handle(self, *args, **options):
        report = verify(application=options["application"])
        for found in report.breaks:
            self.stderr.write(f"BROKEN {found}")
        if report.checkpoint is not None:
            against = f"against the checkpoint of {report.checkpoint.written_at}"
        elif checkpoint_dir() is None:
            against = "no checkpoints (AUDIT_CHECKPOINT_DIR is not set)"
        else:
            against = "no checkpoint written yet"
        if report.breaks:
            kinds = sorted({found.kind for found in report.breaks})
            raise CommandError(
                f"{len(report.breaks)} audit breaks ({', '.join(kinds)}) in {report.chains} "
                f"chains, {report.events} events; {against}."
            )
        self.stdout.write(
            f"OK: {report.chains} audit chains, {report.events} events, every link and seal "
            f"intact, every head agrees; {against}."
        )
