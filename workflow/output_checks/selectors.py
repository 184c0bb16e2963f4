"""What each person sees of an output request: the files with their automatic checks and ACRO
statuses, the rounds with the consolidated decisions and the team's answers, and the checkers'
individual verdicts only where the blind rule allows (``policies.can_see_verdicts``)."""

from __future__ import annotations

from typing import Any

from core import audit_chain
from workflow.models import OutputEvent, OutputFile, OutputRequest, OutputRound


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
