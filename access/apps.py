from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "People and access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Who may take each accreditation decision, and who is told of what: registered on
        # import with core.transitions and notifications.notices.
        from access.safe_people import notices, policies  # noqa: F401
