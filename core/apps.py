from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_tables(using: str = "default", **kwargs) -> None:
    """The database cache's table (``CACHES``: the development and test default), created by
    every ``migrate`` (and ``flush``) so the zero-setup run needs no extra command. Does
    nothing when the cache is Redis, or the table exists."""
    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    """Domain-free pieces the apps share: domain errors, the transition engine, immutable
    models, API and page plumbing, the GOV.UK template tags; its one table keeps the answers
    of keyed API writes (``IdempotencyKey``)."""

    name = "core"
    verbose_name = "Shared plumbing"

    def ready(self) -> None:
        post_migrate.connect(create_cache_tables, sender=self)
