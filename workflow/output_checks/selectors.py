"""Reads of output checking: ACRO's record of a file, the checkers' disagreements, the
request's chained history, and the figures on the ops dashboard."""

from __future__ import annotations

from typing import Any

from core import audit_chain
from workflow.models import (
    CheckerReview,
    OutputEvent,
    OutputFile,
    OutputRequest,
    OutputRequestState,
    OutputRound,
)
from workflow.turnaround.calendar import local_date, workdays_between


def acro_status_of(output_request: OutputRequest, output_file: OutputFile) -> dict[str, Any] | None:
    """ACRO's record for the file, matched by the file's name (or the output's name)."""
    stem = output_file.name.rsplit(".", 1)[0]
    for output in output_request.acro_results.get("outputs", []):
        names = {output["name"], output["uid"], *output["files"]}
        names |= {n.rsplit(".", 1)[0] for n in names}
        if output_file.name in names or stem in names:
            found: dict[str, Any] = output
            return found
    return None


def disagreements(output_round: OutputRound) -> list[int]:
    """The files on which the round's two checkers gave different verdicts."""
    reviews = list(output_round.reviews.all())
    if len(reviews) < 2:
        return []
    first, second = reviews[0].verdicts, reviews[1].verdicts
    return sorted(
        int(pk)
        for pk in set(first) | set(second)
        if first.get(pk, {}).get("decision") != second.get(pk, {}).get("decision")
    )


def history_break(output_request: OutputRequest) -> audit_chain.Break | None:
    """The first break of the request's chained history, or ``None`` when it verifies."""
    return audit_chain.first_break(
        f"output request {output_request.pk}",
        OutputEvent.objects.filter(request=output_request).order_by("id"),
        content=lambda event: event.chain_content(),
        digest=audit_chain.digest,
        label=OutputEvent.seal_label(),
    )


def output_check_figures() -> dict[str, Any]:
    """For the ops dashboard and the metrics API: the median working days from submission to
    the final decision, the share released at the first round, and each checker's load (reviews
    submitted, and rounds they still owe: a review, or a consolidation they reviewed for)."""
    finished = list(
        OutputRequest.objects.filter(
            finished_at__isnull=False, submitted_at__isnull=False
        ).values_list("submitted_at", "finished_at", "state", "round")
    )
    days = sorted(
        workdays_between(local_date(submitted), local_date(done))
        for submitted, done, _state, _round in finished
    )
    median: float | None = None
    if days:
        middle = len(days) // 2
        median = float(days[middle]) if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
    first_time = sum(1 for _s, _d, state, rounds in finished if state == "released" and rounds == 1)
    load: dict[int, dict[str, Any]] = {}
    reviews = CheckerReview.objects.select_related("checker", "round__request")
    for review in reviews:
        row = load.setdefault(
            review.checker_id,
            {
                "checker": review.checker.full_name or review.checker.username,
                "reviews": 0,
                "open": 0,
            },
        )
        row["reviews"] += 1
        output_request = review.round.request
        if (
            output_request.state == OutputRequestState.CONSOLIDATING
            and review.round.number == output_request.round
        ):
            row["open"] += 1
    waiting = OutputRequest.objects.filter(state=OutputRequestState.SUBMITTED).count()
    return {
        "finished": len(finished),
        "median_working_days": median,
        "first_time_release_rate": (first_time / len(finished)) if finished else None,
        "awaiting_review": waiting,
        "checkers": sorted(load.values(), key=lambda r: (-r["reviews"], r["checker"])),
    }
