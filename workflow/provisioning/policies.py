"""Who may read entitlements and manage what the secure environment is told.

* A **service account** (the secure environment) reads every entitlement, the change feed and
  the visas when its tokens carry ``entitlements:read``; it has no human role, so nothing else.
* A **person** reads their own entitlements and visas, never anyone else's.
* **Ops** (``provisioning.manage``) register webhook receivers and service accounts, read every
  delivery and its attempts, and send a delivery again; they may read any entitlement.
"""

from __future__ import annotations

from typing import Any

from access.models import User
from access.policy import Permission, has_permission
from core.errors import NotAllowed

ENTITLEMENTS_READ = "entitlements:read"
SCOPES = (ENTITLEMENTS_READ,)


def scopes_of(user: Any) -> frozenset[str]:
    """The scopes of a service account's tokens (none for a person)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    account = getattr(user, "service_account", None)
    return frozenset(account.scopes) if account is not None else frozenset()


def is_service_account(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and hasattr(user, "service_account")


def can_read_all_entitlements(user: Any) -> bool:
    """The secure environment (scope ``entitlements:read``) or ops."""
    return ENTITLEMENTS_READ in scopes_of(user) or has_permission(
        user, Permission.PROVISIONING_MANAGE
    )


def can_read_entitlements_of(user: Any, person: User) -> bool:
    """Your own, or everyone's for the secure environment and ops."""
    if getattr(user, "pk", None) == person.pk and user.is_active:
        return True
    return can_read_all_entitlements(user)


def check_read_entitlements_of(user: Any, person: User) -> None:
    if not can_read_entitlements_of(user, person):
        raise NotAllowed(
            "You may read only your own entitlements; everyone's need a service account with "
            "the entitlements:read scope, or the ops role."
        )


def check_read_all_entitlements(user: Any) -> None:
    if not can_read_all_entitlements(user):
        raise NotAllowed(
            "Reading a project's entitlements or the change feed needs a service account "
            "token with the entitlements:read scope, or the ops role."
        )


def can_manage_provisioning(user: Any) -> bool:
    return has_permission(user, Permission.PROVISIONING_MANAGE)


def check_manage_provisioning(user: Any) -> None:
    if not can_manage_provisioning(user):
        raise NotAllowed(
            "Only ops (provisioning.manage) register webhook receivers and service accounts "
            "and see their deliveries."
        )
