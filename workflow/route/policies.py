"""Who may do what on the route, and when: one home for each rule.

Every action has ``can_<action>(user, obj) -> bool`` (for pages, the API's list of what you may
do, and templates) and ``check_<action>(user, obj)``, which raises 403 when the person may not
(``NotAllowed``) and then 409 when the state does not allow it now (``InvalidTransition``).
Services call ``check_``; nothing else restates a rule.

Separation of duties lives here: nobody scopes, reviews, decides or grants access to an
application they are on the team of. Who may take each transition of the application's state
machine is registered with ``core.transitions`` (``@transition_policy``): the state machine
says when, these functions say who.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django_fsm import can_proceed

from access.identity.selectors import may_become_researcher
from access.models import Role, User
from access.policy import Permission, has_permission
from core.errors import InvalidTransition, NotAllowed
from core.transitions import Refusal, Verdict, check_state, may, refuse, transition_policy
from workflow.models import Application, ApplicationMember, State
from workflow.route.selectors import ApplicationView, view_of

# The states in which the team may change what the application says (and its safeguards and
# public-benefit assessment): while it is theirs.
EDITABLE_STATES = (State.DRAFT, State.CHANGES_REQUESTED)
# An analyst can be (re)assigned once the application is submitted and until it ends.
ANALYST_STATES = tuple(
    s for s in State if s not in (State.DRAFT, State.REJECTED, State.WITHDRAWN, State.CLOSED)
)


# --- relations --------------------------------------------------------------------------------


def is_member(user: Any, application: Application) -> bool:
    """On the application's research team (read once per user and application object)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cache: dict[int, bool] = application.__dict__.setdefault("_member_cache", {})
    if user.pk not in cache:
        if "members" in getattr(application, "_prefetched_objects_cache", {}):
            cache[user.pk] = any(m.user_id == user.pk for m in application.members.all())
        else:
            cache[user.pk] = ApplicationMember.objects.filter(
                application=application, user=user
            ).exists()
    return cache[user.pk]


def is_assigned_analyst(user: Any, application: Application) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.has_role(Role.ANALYST)
        and application.analyst_id == user.pk
    )


# --- seeing -------------------------------------------------------------------------------------


def can_view(user: Any, application: Application) -> bool:
    """May ``user`` see ``application`` at all (whole or their part)? The same question as
    ``workflow.route.selectors.applications_visible_to``, asked of one object."""
    return view_of(user, application) is not None


def visible_view(user: Any, application: Application) -> ApplicationView:
    """What ``user`` sees of an application loaded for them through ``visible_application``
    (so something); 404 should they see nothing of it."""
    view = view_of(user, application)
    if view is None:
        raise Http404("No such application.")
    return view


def can_view_whole(user: Any, application: Application) -> bool:
    view = view_of(user, application)
    return view is not None and view.whole


def visible_application(
    user: Any,
    pk: Any,
    *,
    whole: bool = False,
    queryset: QuerySet[Application] | None = None,
) -> Application:
    """Application ``pk`` if ``user`` may see it: 404 otherwise (whether it exists is not theirs
    to know); with ``whole``, 403 for someone who sees only a data owner's part of it. Every
    page and endpoint under an application loads it here (``queryset`` adds what it reads)."""
    queryset = queryset if queryset is not None else Application.objects.all()
    application = queryset.filter(pk=pk).first() if str(pk).isdigit() else None
    if application is None or not can_view(user, application):
        raise Http404("No such application.")
    if whole:
        check_view_whole(user, application)
    return application


def check_view_whole(user: Any, application: Application) -> None:
    """Pages that show the whole application are not for someone who sees only a data owner's
    part of it (403; the caller has already answered 404 to those who see nothing)."""
    if not can_view_whole(user, application):
        raise NotAllowed("This shows the whole application; data owners see their own part.")


# --- starting and editing ---------------------------------------------------------------------


def can_create(user: Any) -> bool:
    """Researchers; and someone who registered, once their organisation vouches for them
    (starting an application makes them a researcher: docs/identity.md)."""
    return has_permission(user, Permission.APPLICATION_CREATE) or may_become_researcher(user)


def check_create(user: Any) -> None:
    if not can_create(user):
        raise NotAllowed(
            "Only researchers can start an application. If you registered, your organisation "
            "must first confirm that you work there."
        )


def may_edit(user: Any, application: Application) -> bool:
    """A member of the team (whatever the state)."""
    return has_permission(user, Permission.APPLICATION_EDIT) and is_member(user, application)


def can_edit(user: Any, application: Application) -> bool:
    return may_edit(user, application) and application.state in EDITABLE_STATES


def check_edit(user: Any, application: Application, what: str = "the application") -> None:
    """The team edits the application (and its safeguards and public-benefit assessment) while
    it is a draft or changes are requested."""
    if not may_edit(user, application):
        raise NotAllowed(f"Only members of the application can edit {what}.")
    if application.state not in EDITABLE_STATES:
        raise InvalidTransition(
            f"{what[0].upper()}{what[1:]} can only be edited as a draft or when changes are "
            "requested.",
            current_state=application.state,
        )


def may_withdraw_invitation(user: Any, application: Application) -> bool:
    """A member of the team, whatever the state (the invitation is the team's to take back;
    its link stops working at once)."""
    return may_edit(user, application)


def check_withdraw_invitation(user: Any, application: Application) -> None:
    if not may_withdraw_invitation(user, application):
        raise NotAllowed("Only members of the application's team can withdraw its invitations.")


def can_find_people(user: Any, application: Application) -> bool:
    return can_edit(user, application)


def check_find_people(user: Any, application: Application) -> None:
    """Looking someone up by their email address, to add them to the team, is for those who
    may edit the application now: its team, while it is a draft or changes are requested."""
    if not may_edit(user, application):
        raise NotAllowed("Only members of the application look people up, to add them to its team.")
    if application.state not in EDITABLE_STATES:
        raise InvalidTransition(
            "The team can change only while the application is a draft or changes are requested.",
            current_state=application.state,
        )


# --- scoping -------------------------------------------------------------------------------------


def may_work_on_scoping(user: Any, application: Application) -> bool:
    return has_permission(user, Permission.SCOPING_EDIT) and (
        is_member(user, application) or is_assigned_analyst(user, application)
    )


def can_update_scoping(user: Any, application: Application) -> bool:
    return may_work_on_scoping(user, application) and application.state == State.SCOPING


def check_update_scoping(user: Any, application: Application) -> None:
    if not may_work_on_scoping(user, application):
        raise NotAllowed("Only the assigned analyst and the team can work on scoping.")
    if application.state != State.SCOPING:
        raise InvalidTransition(
            "Scoping can be edited only while the application is being scoped.",
            current_state=application.state,
        )


def can_record_feasibility(user: Any, application: Application) -> bool:
    """Only the assigned analyst judges whether the data can answer the question."""
    return application.analyst_id == getattr(user, "pk", None)


def may_decide_scoping(user: Any, application: Application) -> Verdict:
    """The assigned analyst, never on the team."""
    if not has_permission(user, Permission.SCOPING_DECIDE):
        return Refusal("Only analysts scope applications.")
    if application.analyst_id != user.pk:
        return Refusal("Only the analyst assigned to this application scopes it.")
    if is_member(user, application):
        return Refusal("You are on this project's team, so another analyst must scope it.")
    return True


def can_assign_analyst(user: Any, application: Application) -> bool:
    return may_assign_analyst(user, application) and application.state in ANALYST_STATES


def may_assign_analyst(user: Any, application: Application) -> bool:
    return has_permission(user, Permission.ANALYST_ASSIGN) and not is_member(user, application)


def check_assign_analyst(user: Any, application: Application) -> None:
    if not may_assign_analyst(user, application):
        raise NotAllowed("Only ops off the team can assign analysts.")
    if application.state not in ANALYST_STATES:
        raise InvalidTransition(
            "An analyst can be assigned once the application is submitted and until it ends.",
            current_state=application.state,
        )


# --- the route's transitions: who may (the state machine says when) ------------------------------


@transition_policy(Application, "submit", "resubmit")
def may_submit(user: User, application: Application) -> Verdict:
    """A member of the team."""
    if not has_permission(user, Permission.APPLICATION_SUBMIT):
        return Refusal("Only researchers on the application's team submit it.")
    if not is_member(user, application):
        return Refusal("Only members of the application's team submit it.")
    return True


@transition_policy(Application, "withdraw")
def may_withdraw(user: User, application: Application) -> Verdict:
    """A member of the team, before a final decision."""
    if not (has_permission(user, Permission.APPLICATION_WITHDRAW) and is_member(user, application)):
        return Refusal("Only members of the application's team withdraw it.")
    return True


def may_review_internally(user: User, application: Application) -> Verdict:
    """A governance reviewer, never on the team."""
    if not has_permission(user, Permission.INTERNAL_REVIEW_DECIDE):
        return Refusal("Only governance reviewers decide at internal review.")
    if is_member(user, application):
        return Refusal("You are on this project's team, so another reviewer must review it.")
    return True


@transition_policy(Application, "complete_scoping")
def may_complete_scoping(user: User, application: Application) -> Verdict:
    """The assigned analyst, never on the team."""
    return may_decide_scoping(user, application)


@transition_policy(Application, "refer_to_panels", "reject")
def may_decide_internal_review(user: User, application: Application) -> Verdict:
    """A governance reviewer, never on the team."""
    return may_review_internally(user, application)


@transition_policy(Application, "request_changes")
def may_request_changes(user: User, application: Application) -> Verdict:
    """The analyst during scoping, a reviewer at internal review."""
    if application.state == State.SCOPING:
        return may_decide_scoping(user, application)
    if application.state == State.INTERNAL_REVIEW:
        return may_review_internally(user, application)
    # Outside its stages the state machine refuses it anyway: whoever may at some stage is
    # told the state is wrong (409), not that they may not (403).
    if may_decide_scoping(user, application) or may_review_internally(user, application):
        return True
    return Refusal("Only the assigned analyst (in scoping) or a reviewer asks for changes.")


@transition_policy(Application, "grant_access", "suspend", "reinstate", "close")
def may_manage_access(user: User, application: Application) -> Verdict:
    """Ops, never on the team."""
    if not has_permission(user, Permission.ACCESS_MANAGE):
        return Refusal("Only ops grant, suspend, reinstate and close access.")
    if is_member(user, application):
        return Refusal(
            "You are on this project's team, so someone else must grant or change its access."
        )
    return True


def can_take(user: Any, application: Application, name: str) -> bool:
    """May ``user`` take transition ``name`` now: their part in the route, the state, and the
    transition's own conditions (feasibility recorded, for completing scoping)."""
    return may(application, name, user) and can_proceed(getattr(application, name))


def check_take(user: Any, application: Application, name: str) -> None:
    """403 unless ``user`` may take ``name``; 409 unless the state allows it now."""
    if not may(application, name, user):
        raise refuse(application, name, user)
    check_state(application, name)


# The transitions a person takes, in the order pages offer them (final or destructive last).
STEPS = (
    "submit",
    "resubmit",
    "complete_scoping",
    "request_changes",
    "refer_to_panels",
    "grant_access",
    "reinstate",
    "reject",
    "withdraw",
    "suspend",
    "close",
)
WARNING_STEPS = frozenset({"reject", "withdraw", "suspend", "close"})


def available_steps(user: Any, application: Application) -> list[str]:
    """The transitions ``user`` may take on ``application`` now, in the order pages show them
    (never the combined outcome, which only the system takes)."""
    return [name for name in STEPS if can_take(user, application, name)]
