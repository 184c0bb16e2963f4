from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = "Access-request workflow"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import rules, rules_safes  # noqa: F401  (register object rules with access.policy)
