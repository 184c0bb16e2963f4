"""The output request as one person sees it (for the pages and the API): the files with their
automatic checks and ACRO statuses, the rounds with the consolidated decisions and the team's
answers, and the checkers' individual verdicts only where the blind rule allows
(``policies.can_see_verdicts``)."""

from __future__ import annotations

from typing import Any

from workflow.models import FileKind, OutputRequest, OutputRound
from workflow.output_checks.policies import actions_for, can_download, can_see_verdicts
from workflow.output_checks.selectors import acro_status_of, disagreements


def round_view(user: Any, output_round: OutputRound) -> dict[str, Any]:
    reviews = list(output_round.reviews.select_related("checker"))
    seen = can_see_verdicts(user, output_round)
    return {
        "number": output_round.number,
        "opened_at": output_round.opened_at,
        "reviews_in": len(reviews),
        "reviewed_by_you": any(r.checker_id == getattr(user, "pk", None) for r in reviews),
        "reviews": (
            [
                {
                    "checker": r.checker.full_name or r.checker.username,
                    "submitted_at": r.submitted_at,
                    "verdicts": r.verdicts,
                }
                for r in reviews
            ]
            if seen
            else None
        ),
        "disagreements": disagreements(output_round) if seen else None,
        "decisions": output_round.decisions,
        "consolidated_at": output_round.consolidated_at,
        "answers": output_round.answers,
    }


def request_view(user: Any, output_request: OutputRequest) -> dict[str, Any]:
    files = list(output_request.files.order_by("id"))
    rounds = list(output_request.rounds.prefetch_related("reviews").order_by("number"))
    return {
        "request": output_request,
        "files": [
            {
                "file": f,
                "acro": acro_status_of(output_request, f) if f.kind == FileKind.OUTPUT else None,
                "downloadable": can_download(user, f),
            }
            for f in files
        ],
        "rounds": [round_view(user, r) for r in rounds],
        "actions": actions_for(user, output_request),
        "names": {str(f.pk): f.name for f in files},
    }
