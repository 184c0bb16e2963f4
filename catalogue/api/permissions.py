"""DRF permission classes that delegate to ``access.policy`` (no rules of their own)."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from access.policy import Permission, has_permission


def read_only_or(perm: Permission, message: str) -> type[BasePermission]:
    """Anyone may read; writing needs ``perm`` (object rules are checked by the services).

    Anonymous writes get 401 (DRF turns a refusal without credentials into NotAuthenticated);
    logged-in users without ``perm`` get 403 before their input is even parsed.
    """

    refusal = message

    class ReadOnlyOrHasPermission(BasePermission):
        message = refusal

        def has_permission(self, request, view) -> bool:
            if request.method in SAFE_METHODS:
                return True
            return has_permission(request.user, perm)

    ReadOnlyOrHasPermission.__name__ = f"ReadOnlyOr_{perm.name}"
    return ReadOnlyOrHasPermission
