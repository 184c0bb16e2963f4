"""The amendment's and its tracks' state diagrams, transition tables and the default routing
table, generated from the code into docs/amendments.md (a test fails when the page is stale)."""

from __future__ import annotations

from core.transitions import policy_for, steps_of
from workflow.amendments.defaults import DEFAULT_RULES, SWITCHED_OFF_RULES
from workflow.amendments.models import (
    Amendment,
    AmendmentState,
    AmendmentTrack,
    AmendmentTrackState,
    ChangeType,
    Reviewer,
    RouteWhen,
)
from workflow.statemachine import transitions

START = "<!-- generated: amendment states and routing -->"
END = "<!-- end generated -->"


def _who(model: type, name: str) -> str:
    step = next(s for s in steps_of(model) if s.name == name)
    if step.system:
        if model is AmendmentTrack:
            return "the system, when the amendment is withdrawn"
        return "the system: the tracks' combined decision (approval at once when none is needed)"
    policy = policy_for(model, name)
    doc = (policy.__doc__ or "").strip().splitlines()[0] if policy else "nobody"
    return doc.rstrip(".")


def _machine(model: type, start: str, finals: list[str]) -> list[str]:
    rows = transitions(model)
    lines = ["```mermaid", "stateDiagram-v2", f"    [*] --> {start}"]
    lines += [f"    {r['source']} --> {r['target']}: {r['name']}" for r in rows]
    lines += [f"    {final} --> [*]" for final in finals]
    lines += [
        "```",
        "",
        "| transition | from | to | who may take it | notice |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r['name']}` | `{r['source']}` | `{r['target']}` | {_who(model, r['name'])} "
        f"| {'`' + r['notify'] + '`' if r['notify'] else 'none'} |"
        for r in rows
    ]
    return lines


def render() -> str:
    lines = [START, "", "### The amendment", ""]
    lines += _machine(
        Amendment,
        AmendmentState.DRAFT,
        [AmendmentState.APPROVED, AmendmentState.REJECTED, AmendmentState.WITHDRAWN],
    )
    lines += ["", "### A review track of an amendment", ""]
    lines += _machine(
        AmendmentTrack,
        AmendmentTrackState.OPEN,
        [AmendmentTrackState.DECIDED, AmendmentTrackState.CLOSED],
    )
    lines += [
        "",
        "### The default routing table",
        "",
        "| change | goes to | when | target (working days) | note |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {ChangeType(c).label} | {Reviewer(r).label} | {RouteWhen(w).label} "
        f"| {days or 'none'} | {note} |"
        for c, r, w, days, note in DEFAULT_RULES
    ]
    lines += [
        f"| {ChangeType(c).label} | {Reviewer(r).label} (switched off) | {RouteWhen(w).label} "
        f"| {days or 'none'} | {note} |"
        for c, r, w, days, note in SWITCHED_OFF_RULES
    ]
    lines += ["", END]
    return "\n".join(lines)
