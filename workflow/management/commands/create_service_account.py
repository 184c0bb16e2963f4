"""Create a service account for the secure environment and print its API token (once).

    python manage.py create_service_account tre-portal --scope entitlements:read --days 365

The account is a user with no roles and no password; the token carries the scopes.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.errors import ValidationFailed
from workflow.provisioning.policies import ENTITLEMENTS_READ, SCOPES
from workflow.provisioning.services import service_account_create


class Command(BaseCommand):
    help = "Create a service account (the secure environment) and print its token once."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--scope", action="append", choices=SCOPES, dest="scopes", help="repeat for more"
        )
        parser.add_argument("--days", type=int, default=365, help="token lifetime (default 365)")

    def handle(self, *args, name: str, scopes: list[str] | None, days: int, **options):
        try:
            account, key = service_account_create(
                by=None, name=name, scopes=scopes or [ENTITLEMENTS_READ], token_days=days
            )
        except ValidationFailed as invalid:
            raise CommandError(f"{invalid.detail} {invalid.fields}") from None
        self.stdout.write(f"Service account {account.name} (scopes: {', '.join(account.scopes)})")
        self.stdout.write(f"Token (shown only now): {key}")
