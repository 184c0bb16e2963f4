"""Write logic of the reviews: consolidated feedback, the parallel tracks, panel votes and the
combined outcome. One module per part; this package is the topic's public service API."""

from workflow.reviews.policies import Tally
from workflow.reviews.selectors import required_tracks
from workflow.reviews.services.feedback import (
    feedback_answers_save,
    feedback_item_respond,
    open_feedback,
)
from workflow.reviews.services.panels import (
    conflict_declare,
    panel_membership_add,
    panel_membership_end,
    panel_rule_errors,
    panel_rule_set,
    panel_track_close,
    tally,
    vote_cast,
    vote_change,
)
from workflow.reviews.services.tracks import (
    combine_outcomes,
    open_tracks,
    panel_errors,
    reopen_revised_tracks,
    review_track_decide,
    review_tracks_close,
)

__all__ = [
    "Tally",
    "combine_outcomes",
    "conflict_declare",
    "feedback_answers_save",
    "feedback_item_respond",
    "open_feedback",
    "open_tracks",
    "panel_errors",
    "panel_membership_add",
    "panel_membership_end",
    "panel_rule_errors",
    "panel_rule_set",
    "panel_track_close",
    "reopen_revised_tracks",
    "required_tracks",
    "review_track_decide",
    "review_tracks_close",
    "tally",
    "vote_cast",
    "vote_change",
]
