from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from workflow.statemachine import render

TARGET = Path(settings.BASE_DIR) / "docs" / "state-machine.md"


class Command(BaseCommand):
    help = "Write the application state diagram and transition table to docs/state-machine.md"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if the file is stale")

    def handle(self, *args, check: bool = False, **options):
        text = render()
        if check:
            current = TARGET.read_text() if TARGET.exists() else ""
            if current != text:
                raise SystemExit("docs/state-machine.md is stale: run `manage.py statemachine`")
            self.stdout.write("docs/state-machine.md is current")
            return
        TARGET.write_text(text)
        self.stdout.write(f"wrote {TARGET}")
