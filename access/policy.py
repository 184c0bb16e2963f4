"""Who may do what: one place answers.

``has_permission(user, perm, obj=None)`` is the only question views and services ask. It first
checks that one of the user's global roles carries the permission (deny by default), then, when
an object is given, the object rule registered for that permission by the app that owns the
object (``catalogue/rules.py``, ``workflow/rules.py``). Object rules read our own relations
(organisation membership, named analysts, panel membership, project membership), never
permission rows.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from .models import Role


class Permission(enum.StrEnum):
    CATALOGUE_MANAGE = "catalogue.manage"
    CATEGORY_MANAGE = "catalogue.category.manage"


DESCRIPTIONS: dict[Permission, str] = {
    Permission.CATALOGUE_MANAGE: "Create and edit organisations, datasets and their variables",
    Permission.CATEGORY_MANAGE: (
        "Create, edit and retire the pre-approved categories of use for datasets provided by an "
        "organisation the user is a data owner of"
    ),
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.RESEARCHER: frozenset(),
    Role.ANALYST: frozenset(),
    Role.REVIEWER: frozenset(),
    Role.PANEL_MEMBER: frozenset(),
    Role.DATA_OWNER: frozenset({Permission.CATEGORY_MANAGE}),
    Role.OPS: frozenset({Permission.CATALOGUE_MANAGE}),
    Role.ACCREDITATION_OFFICER: frozenset(),
}

ObjectRule = Callable[[Any, Any], bool]
_OBJECT_RULES: dict[Permission, ObjectRule] = {}


def object_rule(perm: Permission) -> Callable[[ObjectRule], ObjectRule]:
    """Register the object-level rule for ``perm`` (one per permission)."""

    def register(func: ObjectRule) -> ObjectRule:
        if perm in _OBJECT_RULES and _OBJECT_RULES[perm] is not func:
            raise RuntimeError(f"An object rule for {perm} is already registered")
        _OBJECT_RULES[perm] = func
        return func

    return register


def permissions_for(user: Any) -> frozenset[Permission]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    granted: set[Permission] = set()
    for role_name in user.role_names:
        granted |= ROLE_PERMISSIONS.get(Role(role_name), frozenset())
    return frozenset(granted)


def has_permission(user: Any, perm: Permission, obj: Any = None) -> bool:
    """May ``user`` exercise ``perm`` (on ``obj``, when given)? Deny by default."""
    if perm not in permissions_for(user):
        return False
    if obj is None:
        return True
    rule = _OBJECT_RULES.get(perm)
    return True if rule is None else bool(rule(user, obj))


def role_descriptions() -> dict[str, list[str]]:
    """Each role with the human description of what it may do (for docs and the admin)."""
    return {role.label: sorted(DESCRIPTIONS[p] for p in ROLE_PERMISSIONS[role]) for role in Role}
