"""The one transition engine for every state machine (applications, review tracks,
accreditations).

A transition is declared beside its ``django-fsm`` method with ``@transition(...)``: its source
and target states, the event kind it writes, the notice it raises and the capacity its actor
acts in. Who may take it is decided by a policy function the topic registers with
``@transition_policy(Model, "name", ...)`` in its ``policies.py`` (yes, or a ``Refusal`` that
says which rule refused, for the 403); the same function is the
transition's ``django-fsm`` permission, so ``get_available_user_state_transitions`` and
``has_transition_perm`` agree with the engine.

``take`` runs a transition on a row the caller has locked, inside the caller's transaction, in
the order every service follows: who may (403), then what the state allows (409), then the
input (400) and the transition's conditions (400); then the transition, the save (a concurrent
change is 409) and the event, written by the caller's ``log``. Notices are the caller's: the
topic's ``fire`` raises the declared notice once the event exists (``notifications.notices``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.db import models
from django_fsm import ConcurrentTransition, FSMFieldMixin, FSMMeta, can_proceed
from django_fsm import transition as fsm_transition

from core.errors import ConcurrentChange, InvalidTransition, NotAllowed, ValidationFailed


class Refusal:
    """A policy's "no" that says which rule refused, in words for the person refused. Falsy,
    so a policy still reads as yes or no; ``refuse`` puts the reason in the 403."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Refusal({self.reason!r})"


# What a policy answers: yes, or no (plain, or with the rule that refused).
Verdict = bool | Refusal
Policy = Callable[[Any, Any], Verdict]
# A transition method, returned by ``@transition`` with its signature.
_Method = TypeVar("_Method", bound=Callable[..., Any])
Role = str | Mapping[str, str] | Callable[[Any], str]


@dataclass(frozen=True)
class Step:
    """What a transition declares beside itself."""

    name: str
    event: str  # the event kind it writes
    notify: str  # the notice kind it raises ("" for none)
    # The capacity the actor acts in: one, a mapping from the source state (one transition
    # taken by different people at different stages), or a function of the object.
    role: Role
    # Taken only by the system (the combined outcome of the review tracks, expiry): no person
    # may take it, and no policy is registered for it.
    system: bool = False
    # Why the transition's conditions refuse it, in words (400).
    unmet: str = "The conditions for this step are not met."

    def role_for(self, obj: Any, state: str) -> str:
        if isinstance(self.role, Mapping):
            return self.role[state]
        if callable(self.role):
            return self.role(obj)
        return self.role


_POLICIES: dict[tuple[str, str], Policy] = {}


def _key(model: type[models.Model] | models.Model, name: str) -> tuple[str, str]:
    return (model._meta.label, name)


_Policy = TypeVar("_Policy", bound=Policy)


def transition_policy(model: type[models.Model], *names: str) -> Callable[[_Policy], _Policy]:
    """Register ``func(user, obj) -> bool`` as who may take each of ``names`` on ``model``, in
    any state (the state machine answers "when")."""

    def register(func: _Policy) -> _Policy:
        for name in names:
            key = _key(model, name)
            if key in _POLICIES and _POLICIES[key] is not func:
                raise RuntimeError(f"A policy for {key} is already registered")
            _POLICIES[key] = func
        return func

    return register


def policy_for(model: type[models.Model] | models.Model, name: str) -> Policy | None:
    return _POLICIES.get(_key(model, name))


def may(obj: models.Model, name: str, user: Any) -> bool:
    """May ``user`` take transition ``name`` on ``obj`` (whatever the state)? Deny by default:
    nobody, signed out or inactive people, system transitions, transitions without a policy."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if step_of(type(obj), name).system:
        return False
    policy = policy_for(obj, name)
    return policy is not None and bool(policy(user, obj))


def transition(
    field: Any,
    *,
    source: Any,
    target: Any,
    event: str,
    notify: str,
    role: Role,
    system: bool = False,
    conditions: Iterable[Callable[[Any], bool]] = (),
    unmet: str = "The conditions for this step are not met.",
) -> Callable[[_Method], _Method]:
    """``django_fsm.transition`` with the declaration the engine and the docs read."""

    def wrap(func: _Method) -> _Method:
        step = Step(
            name=func.__name__,
            event=event,
            notify=notify,
            role=role,
            system=system,
            unmet=unmet,
        )

        def permission(instance: models.Model, user: Any) -> bool:
            return may(instance, step.name, user)

        # django-fsm wraps the method in one that takes the same arguments (typed as Any).
        wrapped: _Method = fsm_transition(
            field,
            source=source,
            target=target,
            conditions=list(conditions),
            permission=permission,
            custom={"step": step},
        )(func)
        return wrapped

    return wrap


def step_of(model: type[models.Model], name: str) -> Step:
    meta: FSMMeta = getattr(model, name)._django_fsm
    step: Step = next(iter(meta.transitions.values())).custom["step"]
    return step


def steps_of(model: type[models.Model], field_name: str = "state") -> list[Step]:
    field = model._meta.get_field(field_name)
    if not isinstance(field, FSMFieldMixin):
        raise TypeError(f"{model._meta.label}.{field_name} is not a state machine's field")
    seen: dict[str, Step] = {}
    for t in field.get_all_transitions(model):
        seen.setdefault(t.name, t.custom["step"])
    return list(seen.values())


def check_state(obj: Any, name: str, what: str = "") -> None:
    """409 with the current state unless the state machine allows ``name`` now."""
    if not can_proceed(getattr(obj, name), check_conditions=False):
        current = obj.get_state_display()
        subject = what or obj._meta.verbose_name
        raise InvalidTransition(
            f"You cannot {name.replace('_', ' ')} now: the {subject} is at “{current}”. "
            "Someone may have acted on it since you opened the page.",
            current_state=obj.state,
        )


def refuse(obj: models.Model, name: str, user: Any = None) -> NotAllowed:
    """The 403 for ``user`` taking ``name`` on ``obj``: the reason the policy gave (a
    ``Refusal``), or a plain "you may not" when it gave none."""
    policy = policy_for(obj, name)
    if policy is not None and getattr(user, "is_authenticated", False) and user.is_active:
        verdict = policy(user, obj)
        if isinstance(verdict, Refusal):
            return NotAllowed(verdict.reason)
    step = name.replace("_", " ")
    return NotAllowed(f"You may not take the step '{step}' on this {obj._meta.verbose_name}.")


class Log(Protocol):
    def __call__(
        self,
        obj: Any,
        /,
        *,
        step: Step,
        by: Any,
        role: str,
        from_state: str,
        reason: str,
        payload: dict[str, Any] | None,
    ) -> Any: ...


class _Append(Protocol):
    def __call__(
        self, obj: Any, /, *, by: Any, transition: str, from_state: str, reason: str
    ) -> Any: ...


def chained_log(append: _Append) -> Log:
    """The ``Log`` of a topic whose chained events record who took which step from which state
    and why (``append`` writes one, e.g. a topic's ``append_event``): the role and the payload
    that ``take`` also passes are not columns of such events."""

    def log(
        obj: Any,
        /,
        *,
        step: Step,
        by: Any,
        role: str,
        from_state: str,
        reason: str,
        payload: dict[str, Any] | None,
    ) -> Any:
        return append(obj, by=by, transition=step.name, from_state=from_state, reason=reason)

    return log


_Row = TypeVar("_Row", bound=models.Model)


def relock(model: type[_Row], pk: Any, *related: str) -> _Row:
    """``model``'s row ``pk`` read again under a row lock (its own row only: ``related`` rows
    are joined, not locked), the precondition of ``take``. Inside ``transaction.atomic``."""
    row: _Row = (
        model._default_manager.select_for_update(of=("self",)).select_related(*related).get(pk=pk)
    )
    return row


def take(
    obj: Any,
    name: str,
    *,
    by: Any,
    log: Log,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    check_policy: bool = True,
    role: str | None = None,
) -> Any:
    """Take transition ``name`` on ``obj`` and record it; returns what ``log`` wrote.

    Preconditions: inside ``transaction.atomic``, ``obj`` re-read under a row lock. Afterwards
    the row is saved in its new state and exactly one event records it, or nothing changed and
    a domain error says why (403, 409, 400, in that order).
    """
    step = step_of(type(obj), name)
    if check_policy and not may(obj, name, by):
        raise refuse(obj, name, by)
    check_state(obj, name)
    if errors:
        raise ValidationFailed("This is not ready for this step.", fields=dict(errors))
    if not can_proceed(getattr(obj, name)):
        raise ValidationFailed(
            "This is not ready for this step.", fields={"non_field_errors": [step.unmet]}
        )
    from_state = obj.state
    getattr(obj, name)()
    try:
        obj.save()
    except ConcurrentTransition as exc:
        raise ConcurrentChange(
            "Someone else changed this at the same moment; reload and try again."
        ) from exc
    return log(
        obj,
        step=step,
        by=by,
        role=role or step.role_for(obj, from_state),
        from_state=from_state,
        reason=reason,
        payload=payload,
    )
