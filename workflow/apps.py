from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = "Access-request workflow"
    default_auto_field = "django.db.models.BigAutoField"
