"""The output request's state diagram and transition table, generated from the code into
docs/output-checking.md (a test fails when the page is stale)."""

from __future__ import annotations

from core.transitions import policy_for, steps_of
from workflow.models import OutputRequest, OutputRequestState
from workflow.statemachine import transitions

START = "<!-- generated: output request states -->"
END = "<!-- end generated -->"


def _who(name: str) -> str:
    step = next(s for s in steps_of(OutputRequest) if s.name == name)
    if step.system:
        return "the system, when the round's second review is submitted"
    policy = policy_for(OutputRequest, name)
    doc = (policy.__doc__ or "").strip().splitlines()[0] if policy else "nobody"
    return doc.rstrip(".")


def render() -> str:
    rows = transitions(OutputRequest)
    lines = [START, "", "```mermaid", "stateDiagram-v2", "    [*] --> draft"]
    lines += [f"    {r['source']} --> {r['target']}: {r['name']}" for r in rows]
    lines += [
        f"    {OutputRequestState.RELEASED} --> [*]",
        f"    {OutputRequestState.REJECTED} --> [*]",
        "```",
        "",
        "| transition | from | to | who may take it | notice |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r['name']}` | `{r['source']}` | `{r['target']}` | {_who(r['name'])} "
        f"| `{r['notify']}` |"
        for r in rows
    ]
    lines += ["", END]
    return "\n".join(lines)
