"""Export one application as a Five Safes RO-Crate folder: ``export_rocrate TRE-2026-0001 out/``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from workflow.models import Application
from workflow.transparency.rocrate import write_crate


class Command(BaseCommand):
    help = "Write an application's Five Safes RO-Crate (ro-crate-metadata.json) into a folder."

    def add_arguments(self, parser) -> None:
        parser.add_argument("reference", help="The application's reference, e.g. TRE-2026-0001")
        parser.add_argument("directory", help="The folder to write the crate into")

    def handle(self, *args, reference: str, directory: str, **options) -> None:
        try:
            application = Application.objects.get(reference=reference)
        except Application.DoesNotExist as exc:
            raise CommandError(f"No application has the reference {reference}.") from exc
        path = write_crate(application, directory)
        self.stdout.write(f"Wrote the RO-Crate of {reference} to {path}")
