"""When is a stage late? One rule, used by the clocks, the metrics, the reminders and the pages.

**Late means ended, or still open, after its due date.** A stage or track that ends on its due
date is on time; one that ends the day after (a Saturday after a Friday due date included) is
late; one still open the day after its due date is late now. Dates are UK local dates.

**Whose clock.** Scoping, internal review, in review and approved (waiting for access) are on
the TRE's clock; changes requested is on the applicant's. Draft, active, suspended and the final
states are on no clock.

**A stage's clock is cumulative.** A stage visited again after a request for changes (scoping,
internal review, in review) is one stage on one clock: the clock pauses while the applicant
holds the application and resumes, where it stopped, on resubmission. Its target is the version
in force when the stage first started, and applies to the cumulative time: a visit's due date
is its start plus what the earlier visits left of the target (its start itself once nothing is
left). Each request for changes is its own task on the applicant's clock, with its own target.
Review tracks are per round: a reopened track reviews a new version afresh, with the due date
it was given when it opened.
"""

from __future__ import annotations

import datetime

from workflow.models import State, TargetStage
from workflow.turnaround.calendar import add_days

TRE_CLOCK_STATES = (State.SCOPING, State.INTERNAL_REVIEW, State.IN_REVIEW, State.APPROVED)


APPLICANT_CLOCK_STATES = (State.CHANGES_REQUESTED,)


# Submitted and not yet live nor finished: what "open" means for alerts and work in progress.
OPEN_STATES = (*TRE_CLOCK_STATES, State.CHANGES_REQUESTED)


# The target that applies to a visit of each state (in review is measured by its tracks).
STAGE_FOR_STATE: dict[str, str] = {
    State.SCOPING: TargetStage.SCOPING,
    State.INTERNAL_REVIEW: TargetStage.INTERNAL_REVIEW,
    State.APPROVED: TargetStage.GRANT_ACCESS,
    State.CHANGES_REQUESTED: TargetStage.CHANGES_REQUESTED,
}


# Stages whose visits add up on one clock (the applicant's rounds do not).
CUMULATIVE_STATES = TRE_CLOCK_STATES


def clock_of(state: str) -> str | None:
    if state in TRE_CLOCK_STATES:
        return "tre"
    if state in APPLICANT_CLOCK_STATES:
        return "applicant"
    return None


def is_late(
    due: datetime.date | None, ended_on: datetime.date | None, today: datetime.date
) -> bool:
    """The rule: ended (or, still open, today) after the due date."""
    return due is not None and (ended_on or today) > due


def late_sql(due: str, ended_on: str, today: str = "%s") -> str:
    """The rule in SQL (``today`` a parameter placeholder by default); false without a due
    date."""
    return f"({due} IS NOT NULL AND COALESCE({ended_on}, {today}) > {due})"


def stage_due(days: int, unit: str, entered_on: datetime.date, used_before: int) -> datetime.date:
    """A stage visit's due date: its start plus what earlier visits of the stage left of the
    target (``used_before`` days in the target's unit), or its start once nothing is left."""
    left = days - used_before
    return add_days(entered_on, left, unit) if left > 0 else entered_on
