"""What each global role may do: the permissions, and which roles carry them.

``has_permission(user, perm)`` answers one question: does one of the user's global roles carry
``perm`` (deny by default)? What a person may do *to a particular object* also depends on their
relation to it (a member of the project, its analyst, a seat on the panel, an owner of the
data) and on the object's state; each topic answers that in its ``policies.py``
(``can_<action>(user, obj)`` and ``check_<action>(user, obj)``), which starts from this
question. Relations are read from our own tables, never from permission rows.
"""

from __future__ import annotations

import enum
from typing import Any

from access.models import Role


class Permission(enum.StrEnum):
    CATALOGUE_MANAGE = "catalogue.manage"
    CATEGORY_MANAGE = "catalogue.category.manage"
    # Applications (workflow/route/policies.py and the other topics' policies)
    APPLICATION_CREATE = "application.create"
    APPLICATION_VIEW = "application.view"
    APPLICATION_EDIT = "application.edit"
    APPLICATION_SUBMIT = "application.submit"
    APPLICATION_WITHDRAW = "application.withdraw"
    FEEDBACK_ANSWER = "application.feedback.answer"
    SCOPING_EDIT = "application.scoping.edit"
    SCOPING_DECIDE = "application.scoping.decide"
    INTERNAL_REVIEW_DECIDE = "application.internal_review.decide"
    PANEL_TRACK_DECIDE = "track.panel.decide"
    PANEL_VOTE = "track.panel.vote"
    PANEL_MANAGE = "panel.manage"
    OWNER_TRACK_DECIDE = "track.owner.decide"
    ANALYST_ASSIGN = "application.analyst.assign"
    ACCESS_MANAGE = "application.access.manage"
    VIEW_ALL_APPLICATIONS = "application.view_all"
    # Safe people and the Five Safes (access/safe_people/policies.py, workflow/safes/policies.py)
    ACCREDITATION_APPLY = "accreditation.apply"
    ACCREDITATION_DECIDE = "accreditation.decide"
    ACCREDITATION_VIEW_ALL = "accreditation.view_all"
    AGREEMENT_PUBLISH = "agreement.publish"
    ACCESS_GRANTS_VIEW_ALL = "access_grant.view_all"
    PROVISIONING_MANAGE = "provisioning.manage"
    FIVE_SAFES_ASSESS = "application.five_safes.assess"
    PUBLIC_BENEFIT_SCORE = "application.public_benefit.score"
    CONDITION_EVIDENCE = "condition.evidence"
    CONDITION_VERIFY = "condition.verify"
    # Turnaround (workflow/turnaround/policies.py)
    METRICS_VIEW = "metrics.view"
    TARGETS_MANAGE = "metrics.targets.manage"
    # Transparency (workflow/transparency/policies.py)
    DECISION_RECORDS_VIEW = "decision_record.view"
    APPLICATION_EXPORT = "application.export"
    # Safe outputs (workflow/output_checks/policies.py)
    OUTPUT_REQUEST = "output.request"
    OUTPUT_CHECK = "output.check"
    OUTPUT_VIEW_ALL = "output.view_all"


DESCRIPTIONS: dict[Permission, str] = {
    Permission.APPLICATION_CREATE: "Start an application",
    Permission.APPLICATION_VIEW: (
        "See an application they are involved in: as a member, its analyst, a reviewer once it "
        "reaches internal review, a panel member with an open track, or an owner of a dataset "
        "it requests"
    ),
    Permission.APPLICATION_EDIT: (
        "Edit their own application while it is a draft or changes are requested"
    ),
    Permission.APPLICATION_SUBMIT: "Submit and resubmit their own application",
    Permission.APPLICATION_WITHDRAW: "Withdraw their own application before a final decision",
    Permission.FEEDBACK_ANSWER: "Answer the feedback items on their own application",
    Permission.SCOPING_EDIT: "Work on the scoping record of an application they scope or belong to",
    Permission.SCOPING_DECIDE: (
        "Request changes in scoping and complete scoping, on applications assigned to them"
    ),
    Permission.INTERNAL_REVIEW_DECIDE: (
        "Request changes, refer to the panels or reject at internal review (never their own)"
    ),
    Permission.PANEL_TRACK_DECIDE: (
        "Close a panel's vote as its chair, when the panel's decision rule allows (never on "
        "their own or a conflicted application)"
    ),
    Permission.PANEL_VOTE: (
        "Vote on, or declare a conflict of interest for, a track of a panel they sit on"
    ),
    Permission.PANEL_MANAGE: "Configure panels and their membership",
    Permission.OWNER_TRACK_DECIDE: (
        "Sign off, with or without conditions, or refuse, for their organisation's datasets"
    ),
    Permission.ANALYST_ASSIGN: "Assign or reassign the analyst of an application",
    Permission.ACCESS_MANAGE: "Grant, suspend, reinstate and close access (never their own)",
    Permission.VIEW_ALL_APPLICATIONS: "See every application",
    Permission.METRICS_VIEW: (
        "See turnaround metrics: durations, targets met and missed, work in progress by person"
    ),
    Permission.TARGETS_MANAGE: "Set the target and reminder days of each stage and panel",
    Permission.CATALOGUE_MANAGE: "Create and edit organisations, datasets and their variables",
    Permission.CATEGORY_MANAGE: (
        "Create, edit and retire the pre-approved categories of use for datasets provided by an "
        "organisation the user is a data owner of"
    ),
    Permission.ACCREDITATION_APPLY: (
        "Apply for their own safe-researcher training record or DEA accreditation"
    ),
    Permission.ACCREDITATION_DECIDE: (
        "Accredit, refuse, suspend, reinstate or revoke researchers' accreditation (never their "
        "own, nor one they supervise)"
    ),
    Permission.ACCREDITATION_VIEW_ALL: "See every researcher's accreditation",
    Permission.AGREEMENT_PUBLISH: "Publish a new version of the data access agreement",
    Permission.ACCESS_GRANTS_VIEW_ALL: "See every access grant",
    Permission.PROVISIONING_MANAGE: (
        "Register the secure environment's webhook receivers and service accounts, read every "
        "delivery and send one again"
    ),
    Permission.FIVE_SAFES_ASSESS: (
        "Record a verdict on each of the Five Safes of an application in review (never their own)"
    ),
    Permission.PUBLIC_BENEFIT_SCORE: (
        "Score an application's public benefit independently, on an application they can see "
        "(never their own)"
    ),
    Permission.CONDITION_EVIDENCE: "Give evidence that a condition on their own project is met",
    Permission.CONDITION_VERIFY: (
        "Set the terms of a condition and verify that it is met (never on their own application)"
    ),
    Permission.DECISION_RECORDS_VIEW: (
        "Read the record of every past decision, searchable by dataset and purpose"
    ),
    Permission.APPLICATION_EXPORT: "Export any application as a Five Safes RO-Crate",
    Permission.OUTPUT_REQUEST: (
        "Ask for outputs of their own active project to be checked and released"
    ),
    Permission.OUTPUT_CHECK: (
        "Check requested outputs for disclosure risk, blind to the other checker, then agree a "
        "decision per file (never on their own project)"
    ),
    Permission.OUTPUT_VIEW_ALL: "See every output request and the output-checking figures",
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.RESEARCHER: frozenset(
        {
            Permission.APPLICATION_CREATE,
            Permission.APPLICATION_VIEW,
            Permission.APPLICATION_EDIT,
            Permission.APPLICATION_SUBMIT,
            Permission.APPLICATION_WITHDRAW,
            Permission.FEEDBACK_ANSWER,
            Permission.SCOPING_EDIT,
            Permission.ACCREDITATION_APPLY,
            Permission.CONDITION_EVIDENCE,
            Permission.OUTPUT_REQUEST,
        }
    ),
    Role.ANALYST: frozenset(
        {Permission.APPLICATION_VIEW, Permission.SCOPING_EDIT, Permission.SCOPING_DECIDE}
    ),
    Role.REVIEWER: frozenset(
        {
            Permission.APPLICATION_VIEW,
            Permission.INTERNAL_REVIEW_DECIDE,
            Permission.FIVE_SAFES_ASSESS,
            Permission.CONDITION_VERIFY,
            Permission.DECISION_RECORDS_VIEW,
            Permission.APPLICATION_EXPORT,
        }
    ),
    Role.PANEL_MEMBER: frozenset(
        {
            Permission.APPLICATION_VIEW,
            Permission.PANEL_TRACK_DECIDE,
            Permission.PANEL_VOTE,
            Permission.PUBLIC_BENEFIT_SCORE,
            Permission.DECISION_RECORDS_VIEW,
        }
    ),
    Role.DATA_OWNER: frozenset(
        {Permission.CATEGORY_MANAGE, Permission.APPLICATION_VIEW, Permission.OWNER_TRACK_DECIDE}
    ),
    Role.OPS: frozenset(
        {
            Permission.CATALOGUE_MANAGE,
            Permission.APPLICATION_VIEW,
            Permission.VIEW_ALL_APPLICATIONS,
            Permission.ANALYST_ASSIGN,
            Permission.ACCESS_MANAGE,
            Permission.PANEL_MANAGE,
            Permission.ACCREDITATION_VIEW_ALL,
            Permission.AGREEMENT_PUBLISH,
            Permission.ACCESS_GRANTS_VIEW_ALL,
            Permission.PROVISIONING_MANAGE,
            Permission.CONDITION_VERIFY,
            Permission.METRICS_VIEW,
            Permission.TARGETS_MANAGE,
            Permission.DECISION_RECORDS_VIEW,
            Permission.APPLICATION_EXPORT,
            Permission.OUTPUT_VIEW_ALL,
        }
    ),
    Role.ACCREDITATION_OFFICER: frozenset(
        {Permission.ACCREDITATION_DECIDE, Permission.ACCREDITATION_VIEW_ALL}
    ),
    Role.OUTPUT_CHECKER: frozenset({Permission.OUTPUT_CHECK}),
}


def permissions_for(user: Any) -> frozenset[Permission]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    granted: set[Permission] = set()
    for role_name in user.role_names:
        granted |= ROLE_PERMISSIONS.get(Role(role_name), frozenset())
    return frozenset(granted)


def has_permission(user: Any, perm: Permission) -> bool:
    """Does one of ``user``'s global roles carry ``perm``? Deny by default (signed out,
    inactive, or no role that carries it)."""
    return perm in permissions_for(user)
