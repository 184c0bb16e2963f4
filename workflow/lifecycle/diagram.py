"""The progress report's and the close-out's state diagrams and transition tables, generated
from the code into docs/lifecycle.md (a test fails when the page is stale)."""

from __future__ import annotations

from core.transitions import policy_for, steps_of
from workflow.models import Closure, ClosureState, ProgressReport, ReportState
from workflow.statemachine import transitions

START = "<!-- generated: lifecycle states -->"
END = "<!-- end generated -->"


def _who(model: type, name: str) -> str:
    step = next(s for s in steps_of(model) if s.name == name)
    policy = policy_for(model, step.name)
    doc = (policy.__doc__ or "").strip().splitlines()[0] if policy else "nobody"
    return doc.rstrip(".")


def _machine(model: type, title: str, first: str, finals: list[str]) -> list[str]:
    rows = transitions(model)
    lines = [f"### {title}", "", "```mermaid", "stateDiagram-v2", f"    [*] --> {first}"]
    lines += [f"    {r['source']} --> {r['target']}: {r['name']}" for r in rows]
    lines += [f"    {state} --> [*]" for state in finals]
    lines += [
        "```",
        "",
        "| transition | from | to | who may take it | recorded as | notice |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r['name']}` | `{r['source']}` | `{r['target']}` | {_who(model, r['name'])} "
        f"| {r['role']} | `{r['notify']}` |"
        for r in rows
    ]
    return [*lines, ""]


def render() -> str:
    lines = [START, ""]
    lines += _machine(ProgressReport, "Progress report", ReportState.DUE, [ReportState.ACCEPTED])
    lines += _machine(Closure, "Close-out", ClosureState.DRAFT, [ClosureState.COUNTERSIGNED])
    return "\n".join([*lines, END])
