"""The Five Safes checks: one registry, so a TRE can add, change or switch off checks.

A check is a function of an application (and the day it is judged on) that returns a
``CheckResult``: its code, its safe, a result (pass, warn, fail, pending) and a sentence a person
understands. Register one with the decorator::

    @check("projects.lay_summary", safe=Safe.PROJECTS, title="Lay summary of at most 300 words")
    def lay_summary(application, ctx):
        ...
        return ctx.passed("The lay summary has 120 words.")

The built-in checks are in ``workflow.five_safes_checks``. The modules that register checks are
listed in ``settings.FIVE_SAFES_CHECK_MODULES`` (a TRE appends its own module, which may also
re-register a built-in code to replace it), and ``settings.FIVE_SAFES_DISABLED_CHECKS`` switches
codes off. The framework is expected to evolve (seeds §3.1), hence data, not hard-coding.

Gates (what blocks a transition):

* ``refer_to_panels``: no *failing* check of safe projects or safe data;
* ``grant_access``: every check passes (``warn`` is a pass with something to watch; ``fail`` and
  ``pending`` block).
"""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_fsm import FSMField

from access.models import AccessGrant, Accreditation
from workflow.models import Application, CheckOutcome, Gate, Safe


@dataclass(frozen=True)
class CheckResult:
    code: str
    safe: str
    result: str
    message: str
    title: str = ""


@dataclass(frozen=True)
class RegisteredCheck:
    code: str
    safe: str
    title: str
    func: Callable[[Application, CheckContext], CheckResult]


@dataclass
class CheckContext:
    """What a check is judged against, and shortcuts to answer. Shared by the checks of one run,
    so expensive reads (members, datasets) happen once."""

    application: Application
    today: datetime.date
    code: str = ""
    safe: str = ""
    cache: dict[str, Any] = field(default_factory=dict)

    def _result(self, result: str, message: str) -> CheckResult:
        return CheckResult(code=self.code, safe=self.safe, result=result, message=message)

    def passed(self, message: str) -> CheckResult:
        return self._result(CheckOutcome.PASS, message)

    def warn(self, message: str) -> CheckResult:
        return self._result(CheckOutcome.WARN, message)

    def fail(self, message: str) -> CheckResult:
        return self._result(CheckOutcome.FAIL, message)

    def pending(self, message: str) -> CheckResult:
        return self._result(CheckOutcome.PENDING, message)

    @cached_property
    def members(self) -> list:
        return [m.user for m in self.application.members.select_related("user__affiliation")]

    @cached_property
    def requested(self) -> list:
        return list(
            self.application.requested_datasets.select_related(
                "dataset__provider"
            ).prefetch_related("variables__variable")
        )

    @cached_property
    def access_start(self) -> datetime.date:
        """The day access would start: the project start, or today if that has passed."""
        start = self.application.start_date
        return max(self.today, start) if start else self.today


_REGISTRY: dict[str, RegisteredCheck] = {}
_loaded = False


def check(code: str, *, safe: str, title: str):
    """Register ``func`` as the check ``code`` (a later registration of the same code replaces
    the earlier one: that is how a TRE changes a built-in check)."""
    if safe not in Safe.values:
        raise ValueError(f"{safe!r} is not one of the safes {Safe.values}")
    if not code.startswith(f"{safe}."):
        raise ValueError(f"Check codes start with their safe: {code!r}")

    def register(func):
        _REGISTRY[code] = RegisteredCheck(code=code, safe=safe, title=title, func=func)
        return func

    return register


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in settings.FIVE_SAFES_CHECK_MODULES:
            importlib.import_module(module)
        _loaded = True


def registered() -> list[RegisteredCheck]:
    """The checks in force, in the order of the safes and then of registration."""
    _load()
    disabled = set(settings.FIVE_SAFES_DISABLED_CHECKS)
    order = {safe: index for index, safe in enumerate(Safe.values)}
    checks = [c for c in _REGISTRY.values() if c.code not in disabled]
    return sorted(checks, key=lambda c: order[c.safe])


def run_checks(
    application: Application, *, today: datetime.date | None = None
) -> list[CheckResult]:
    """Every check's result for ``application`` now (or on ``today``). Reads only."""
    ctx = CheckContext(application=application, today=today or timezone.localdate())
    results = []
    for registered_check in registered():
        ctx.code, ctx.safe = registered_check.code, registered_check.safe
        result = registered_check.func(application, ctx)
        results.append(
            CheckResult(
                code=registered_check.code,
                safe=registered_check.safe,
                result=result.result,
                message=result.message,
                title=registered_check.title,
            )
        )
    return results


# What each gate refuses: the safes it looks at and the results that block.
GATES: dict[str, dict[str, frozenset[str]]] = {
    Gate.REFER_TO_PANELS: {
        "safes": frozenset({Safe.PROJECTS, Safe.DATA}),
        "blocking": frozenset({CheckOutcome.FAIL}),
    },
    Gate.GRANT_ACCESS: {
        "safes": frozenset(Safe.values),
        "blocking": frozenset({CheckOutcome.FAIL, CheckOutcome.PENDING}),
    },
}


def blocking(results: list[CheckResult], gate: str) -> list[CheckResult]:
    rule = GATES[gate]
    return [r for r in results if r.safe in rule["safes"] and r.result in rule["blocking"]]


def gate_errors(results: list[CheckResult], gate: str) -> dict[str, list[str]]:
    """The blocking checks as field messages: ``{"five_safes.<code>": [message]}``."""
    return {
        f"five_safes.{r.code}": [f"{r.title or r.code}: {r.message}"]
        for r in blocking(results, gate)
    }


# The application's Safeguards section (ethics, the setting, the outputs and the disclosure rules)
# is judged by these checks; it is done when none of them fails or waits.
SAFEGUARD_CHECKS = (
    "projects.ethics",
    "settings.tre_only",
    "outputs.declared",
    "outputs.disclosure_rules",
)


def safeguard_problems(application: Application) -> list[CheckResult]:
    """The safeguard checks that do not pass yet (fail or pending)."""
    return [
        r
        for r in run_checks(application)
        if r.code in SAFEGUARD_CHECKS and r.result in (CheckOutcome.FAIL, CheckOutcome.PENDING)
    ]


def safeguard_errors(application: Application) -> dict[str, list[str]]:
    """What stops submission in the Safeguards section: ``{"safeguards.<code>": [message]}``."""
    return {
        f"safeguards.{r.code}": [f"Safeguards: {r.message}"]
        for r in safeguard_problems(application)
    }


def docs_tables() -> str:
    """The registry and the safe-people machines as Markdown (docs/five-safes.md embeds it, and
    a test fails when the docs fall behind the code)."""

    lines = ["| safe | code | check | blocks the referral when it fails |", "|---|---|---|---|"]
    for c in registered():
        refer = "yes" if c.safe in GATES[Gate.REFER_TO_PANELS]["safes"] else "no"
        lines.append(f"| {Safe(c.safe).label} | `{c.code}` | {c.title} | {refer} |")
    for model, title in ((Accreditation, "Accreditation"), (AccessGrant, "Access grant")):
        field = next(f for f in model._meta.fields if isinstance(f, FSMField))
        lines += ["", f"{title}:", "", "```mermaid", "stateDiagram-v2"]
        for t in sorted(field.get_all_transitions(model), key=lambda t: (t.name, str(t.source))):
            lines.append(f"    {t.source} --> {t.target}: {t.name}")
        lines.append("```")
    return "\n".join(lines) + "\n"
