"""Write logic of the Five Safes: safeguards, checks at the gates, verdicts, conditions, public
benefit and the agreement. One module per part; this package is the topic's public service API.
"""

from workflow.safes.services.agreement import application_agreement_sign, request_signatures
from workflow.safes.services.conditions import (
    condition_give_evidence,
    condition_update,
    condition_verify,
    conditions_close,
)
from workflow.safes.services.five_safes import (
    access_gate,
    after_approval,
    five_safes_overview,
    go_live,
    record_run,
    referral_gate,
    referred,
    safe_verdict_record,
    safeguards_ethics_letter_attach,
    safeguards_of,
    safeguards_update,
    tell_members_what_they_need,
)
from workflow.safes.services.public_benefit import (
    assessment_for,
    public_benefit_score,
    public_benefit_update,
)

__all__ = [
    "access_gate",
    "after_approval",
    "application_agreement_sign",
    "assessment_for",
    "condition_give_evidence",
    "condition_update",
    "condition_verify",
    "conditions_close",
    "five_safes_overview",
    "go_live",
    "public_benefit_score",
    "public_benefit_update",
    "record_run",
    "referral_gate",
    "referred",
    "request_signatures",
    "safe_verdict_record",
    "safeguards_ethics_letter_attach",
    "safeguards_of",
    "safeguards_update",
    "tell_members_what_they_need",
]
