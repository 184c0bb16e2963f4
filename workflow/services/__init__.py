"""Write logic of the workflow: every state change goes through these functions."""

from .agreements import agreement_status, application_agreement_sign
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
from .conditions import condition_give_evidence, condition_update, condition_verify
from .panels import conflict_declare, panel_track_close, tally, vote_cast, vote_change
from .public_benefit import public_benefit_score, public_benefit_update
from .reviews import combine_outcomes, review_track_decide
from .safes import (
    five_safes_overview,
    safe_verdict_record,
    safeguards_ethics_letter_attach,
    safeguards_update,
)

__all__ = [
    "agreement_status",
    "application_agreement_sign",
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
    "condition_give_evidence",
    "condition_update",
    "condition_verify",
    "conflict_declare",
    "feedback_item_respond",
    "five_safes_overview",
    "panel_track_close",
    "public_benefit_score",
    "public_benefit_update",
    "review_track_decide",
    "safe_verdict_record",
    "safeguards_ethics_letter_attach",
    "safeguards_update",
    "scoping_update",
    "tally",
    "vote_cast",
    "vote_change",
]
