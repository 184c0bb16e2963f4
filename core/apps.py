from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Domain-free pieces the apps share: domain errors, the transition engine, immutable
    models, API and page plumbing, the GOV.UK template tags. No models of its own."""

    name = "core"
    verbose_name = "Shared plumbing"
