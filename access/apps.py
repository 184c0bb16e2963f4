from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "People and access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers object rules with access.policy)
