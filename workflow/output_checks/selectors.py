"""What each person sees of an output request: the files with their automatic checks and ACRO
statuses, the rounds with the consolidated decisions and the team's answers, and the checkers'
individual verdicts only where the blind rule allows (``policies.can_see_verdicts``)."""

from __future__ import annotations

from typing import Any

from core import audit_chain
from workflow.models import FileKind, OutputEvent, OutputFile, OutputRequest, OutputRound
from workflow.output_checks.policies import actions_for, can_download, can_see_verdicts


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
    }


def history_break(output_request: OutputRequest) -> audit_chain.Break | None:
    """The first break of the request's chained history, or ``None`` when it verifies."""
    return audit_chain.first_break(
        f"output request {output_request.pk}",
        OutputEvent.objects.filter(request=output_request).order_by("id"),
        content=lambda event: event.chain_content(),
        digest=audit_chain.digest,
        label=OutputEvent.seal_label(),
    )
