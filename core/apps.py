from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Domain-free pieces the apps share: domain errors, the transition engine, immutable
    models, API and page plumbing, the GOV.UK template tags; its one table keeps the answers
    of keyed API writes (``IdempotencyKey``)."""

    name = "core"
    verbose_name = "Shared plumbing"
