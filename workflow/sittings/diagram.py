"""The sitting's state diagram and transition table, generated from the code into
docs/review.md (a test fails when the page is stale)."""

from __future__ import annotations

from core.transitions import policy_for, steps_of
from workflow.models import Sitting, SittingState
from workflow.statemachine import transitions

START = "<!-- generated: sitting states -->"
END = "<!-- end generated: sitting states -->"


def _who(name: str) -> str:
    step = next(s for s in steps_of(Sitting) if s.name == name)
    policy = policy_for(Sitting, name)
    doc = (policy.__doc__ or "").strip().splitlines()[0] if policy else "nobody"
    return doc.rstrip(".") if not step.system else "the system"


def render() -> str:
    rows = transitions(Sitting)
    lines = [START, "", "```mermaid", "stateDiagram-v2", f"    [*] --> {SittingState.PLANNED}"]
    lines += [f"    {r['source']} --> {r['target']}: {r['name']}" for r in rows]
    lines += [
        f"    {SittingState.MINUTES_PUBLISHED} --> [*]",
        "```",
        "",
        "| transition | from | to | who may take it | notice |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r['name']}` | `{r['source']}` | `{r['target']}` | {_who(r['name'])} "
        f"| {'`' + r['notify'] + '`' if r['notify'] else '(none: the items told the teams)'} |"
        for r in rows
    ]
    lines += ["", END]
    return "\n".join(lines)
