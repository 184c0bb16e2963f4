"""``manage.py verify_audit``: check every application's event hash chain.

Exits 0 when every chain is intact; otherwise prints the first broken link of each broken chain
(application, event id, which hash, expected and found) and exits 1. Reads in ``id`` order, one
application at a time, with an iterator so memory stays flat on a long history.
"""

from __future__ import annotations

from itertools import groupby

from django.core.management.base import BaseCommand, CommandError

from workflow.audit import verify_chain
from workflow.models import Event


class Command(BaseCommand):
    help = "Verify the tamper-evident hash chain of every application's event log."

    def add_arguments(self, parser):
        parser.add_argument(
            "--application", type=int, help="Check only this application's chain (its id)."
        )

    def handle(self, *args, **options):
        events = Event.objects.order_by("application_id", "id")
        if options["application"] is not None:
            events = events.filter(application_id=options["application"])
        chains = broken = 0
        checked = 0
        for _application_id, chain in groupby(
            events.iterator(chunk_size=2000), key=lambda event: event.application_id
        ):
            links = list(chain)
            chains += 1
            checked += len(links)
            link = verify_chain(links)
            if link is not None:
                broken += 1
                self.stderr.write(f"BROKEN {link}")
        if broken:
            raise CommandError(f"{broken} of {chains} audit chains are broken ({checked} events).")
        self.stdout.write(f"OK: {chains} audit chains, {checked} events, every link intact.")
