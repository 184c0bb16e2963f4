from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "People and access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Who may take each accreditation decision, and who is told of what: registered on
        # import with core.transitions and notifications.notices.
        # Signed-in sessions are listed on "Your sessions and tokens" (access/sessions.py).
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from access.identity import notices as identity_notices  # noqa: F401
        from access.identity import policies as identity_policies  # noqa: F401
        from access.safe_people import notices, policies  # noqa: F401

        user_logged_in.connect(_signed_in, dispatch_uid="access.sessions.signed_in")
        user_logged_out.connect(_signed_out, dispatch_uid="access.sessions.signed_out")


def _signed_in(sender, request=None, user=None, **kwargs) -> None:
    from access.sessions import record_sign_in

    if request is not None and user is not None:
        record_sign_in(request, user)


def _signed_out(sender, request=None, user=None, **kwargs) -> None:
    from access.sessions import record_sign_out

    if request is not None:
        record_sign_out(request, user)
