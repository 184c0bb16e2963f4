from importlib import import_module

from django.apps import AppConfig
from django.db.models.signals import post_migrate

REGISTERS = (
    "workflow.route.policies",
    "workflow.route.notices",
    "workflow.reviews.policies",
    "workflow.reviews.notices",
    "workflow.safes.notices",
    "workflow.provisioning.notices",
    "workflow.output_checks.policies",
    "workflow.output_checks.notices",
    "workflow.output_checks.reminders",
    "workflow.involvement.notices",
    "workflow.involvement.reminders",
    "workflow.sittings.policies",
    "workflow.sittings.notices",
    "workflow.sittings.reminders",
    "workflow.lifecycle.policies",
    "workflow.lifecycle.notices",
    "workflow.lifecycle.reminders",
    "workflow.amendments.policies",
    "workflow.amendments.notices",
    "workflow.amendments.reminders",
    "workflow.amendments.watchers",
)


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = "Access-request workflow"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.templatetags.govuk import register_state_labels
        from workflow.models import Outcome, State, TrackState

        # Each topic registers, on import, who may take its transitions (core.transitions) and
        # who is told of what (notifications.notices).
        for module in REGISTERS:
            import_module(module)
        register_state_labels(State, Outcome, TrackState)
        import_module("workflow.checks")  # registers the audit-role check

        post_migrate.connect(_seed_default_targets, sender=self)
        post_migrate.connect(_seed_route_rules, sender=self)
        post_migrate.connect(_fill_calendar, sender=self)


def _seed_default_targets(sender, using="default", **kwargs) -> None:
    # Migration 0003 seeds the default stage targets; this puts back any that are missing
    # after a flush (test databases), without touching targets ops have set.
    from workflow.turnaround.targets import seed_default_targets

    seed_default_targets(using=using)


def _seed_route_rules(sender, using="default", **kwargs) -> None:
    # Migration 0023 seeds the amendments' routing table; this fills it again after a flush
    # (test databases). A table ops have changed is left alone.
    from workflow.amendments.defaults import seed_default_rules

    seed_default_rules(using=using)


def _fill_calendar(sender, using="default", plan=None, **kwargs) -> None:
    # After migrations were applied (a deploy), fill the working-day calendar the metrics count
    # with, so that the first dashboard request does not pay for it (docs/benchmarks.md). Not
    # after a flush (no plan): the metrics fill it themselves when they need it.
    if not plan or using != "default":
        return
    from workflow.turnaround.calendar import ensure_calendar

    ensure_calendar()
