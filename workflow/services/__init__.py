"""Write logic of the workflow: every state change goes through these functions."""

from .applications import (
    application_assign_analyst,
    application_close,
    application_complete_scoping,
    application_create,
    application_grant_access,
    application_refer_to_panels,
    application_reinstate,
    application_reject,
    application_request_changes,
    application_resubmit,
    application_submit,
    application_suspend,
    application_update,
    application_withdraw,
    feedback_item_respond,
    scoping_update,
)
from .panels import conflict_declare, panel_track_close, tally, vote_cast, vote_change
from .reviews import combine_outcomes, review_track_decide

__all__ = [
    "application_assign_analyst",
    "application_close",
    "application_complete_scoping",
    "application_create",
    "application_grant_access",
    "application_refer_to_panels",
    "application_reinstate",
    "application_reject",
    "application_request_changes",
    "application_resubmit",
    "application_submit",
    "application_suspend",
    "application_update",
    "application_withdraw",
    "combine_outcomes",
    "conflict_declare",
    "feedback_item_respond",
    "panel_track_close",
    "review_track_decide",
    "scoping_update",
    "tally",
    "vote_cast",
    "vote_change",
]
