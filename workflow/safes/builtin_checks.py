"""The built-in Five Safes checks (registered with ``workflow.safes``).

Each returns one sentence a person understands, naming who or what is at fault. Sources:
standards.md §7.3 (validation rules), §7.6 (Five Safes checks), seeds.md §3.2 (SP, SJ, SS, SD, SO
checks). See docs/five-safes.md for the table.

Which projects need ethics approval (``ethics_required``): a project that uses the DEA research
gateway (the UKSA Research Accreditation Panel's fifth criterion is a successful formal ethical
review), or that asks for any identifying variable or any dataset whose sensitivity is
"identifiable" (identifiable data only with a research ethics committee's approval). Other
projects may still record one.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from access.models import (
    SATISFIED_BY,
    Accreditation,
    AccreditationKind,
    AccreditationState,
    Requirement,
)
from access.safe_people.selectors import supervisor_problem
from catalogue.models import Purpose, Sensitivity
from core.text import in_sentence
from workflow.models import LegalGateway, Safe
from workflow.route.content import word_count
from workflow.safes.checks import CheckContext, check
from workflow.safes.selectors import completeness, requirements_for


def _day(day: datetime.date) -> str:
    return f"{day:%-d %B %Y}"


def _names(people) -> str:
    names = [str(p) for p in people]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def uses_dea(ctx: CheckContext) -> bool:
    return any(rd.legal_gateway == LegalGateway.DEA_RESEARCH for rd in ctx.requested)


def ethics_required(ctx: CheckContext) -> str | None:
    """Why this project needs ethics approval, or None when it does not."""
    if uses_dea(ctx):
        return "it uses the DEA research gateway"
    for rd in ctx.requested:
        if rd.dataset.sensitivity == Sensitivity.IDENTIFIABLE:
            return f"{rd.dataset.title} is identifiable data"
        for rv in rd.variables.all():
            if rv.variable.is_identifying:
                return f"it asks for an identifying variable ({rv.variable.name})"
    return None


def _safeguards(ctx: CheckContext):
    return getattr(ctx.application, "safeguards", None)


def _accreditations(ctx: CheckContext) -> dict[int, list[Accreditation]]:
    if "accreditations" not in ctx.cache:
        by_person: dict[int, list[Accreditation]] = {m.pk: [] for m in ctx.members}
        for a in Accreditation.objects.filter(person__in=ctx.members).select_related("supervisor"):
            by_person[a.person_id].append(a)
        ctx.cache["accreditations"] = by_person
    return ctx.cache["accreditations"]


def _requirement_status(ctx: CheckContext, requirement: str):
    """(missing, in_progress, valid) members for one requirement on the access start day."""
    kinds = SATISFIED_BY[requirement]
    missing, in_progress, valid = [], [], {}
    for member in ctx.members:
        held = [a for a in _accreditations(ctx)[member.pk] if a.kind in kinds]
        good = [a for a in held if a.is_valid_on(ctx.access_start)]
        if good:
            valid[member] = good
        elif any(a.state == AccreditationState.APPLIED for a in held):
            in_progress.append(member)
        else:
            missing.append(member)
    return missing, in_progress, valid


def _requirement_check(ctx: CheckContext, requirement: str):
    label = in_sentence(Requirement(requirement).label)
    missing, in_progress, _ = _requirement_status(ctx, requirement)
    if not ctx.members:
        return ctx.fail("The application names no team members.")
    on = _day(ctx.access_start)
    if missing:
        return ctx.fail(
            f"{_names(missing)} {'has' if len(missing) == 1 else 'have'} no {label} valid on "
            f"{on}, when access would start."
        )
    if in_progress:
        return ctx.pending(
            f"{_names(in_progress)} applied for {label}; it is waiting for an accreditation "
            "officer's decision."
        )
    return ctx.passed(f"Every member holds {label} valid on {on}.")


@check(
    "people.accreditation_valid",
    safe=Safe.PEOPLE,
    title="Every member holds safe-researcher training valid when access starts",
)
def accreditation_valid(application, ctx):
    return _requirement_check(ctx, Requirement.SAFE_RESEARCHER)


@check(
    "people.dea_accreditation",
    safe=Safe.PEOPLE,
    title="DEA accreditation for every member of a project using the DEA gateway",
)
def dea_accreditation(application, ctx):
    if not uses_dea(ctx):
        return ctx.passed("No dataset is shared under the DEA research gateway: not needed.")
    return _requirement_check(ctx, Requirement.DEA_ACCREDITED)


@check(
    "people.accreditation_covers_project",
    safe=Safe.PEOPLE,
    title="Accreditation lasts until the project ends",
)
def accreditation_covers_project(application, ctx):
    end = application.end_date
    if end is None:
        return ctx.pending("The project has no end date yet.")
    short = []
    for requirement in requirements_for(application, ctx.requested):
        _, _, valid = _requirement_status(ctx, requirement)
        for member, awards in valid.items():
            last = max(a.expires_on for a in awards)
            if last < end:
                short.append(
                    f"{member}'s {in_sentence(Requirement(requirement).label)} ends on {_day(last)}"
                )
    if short:
        return ctx.warn(
            f"{'; '.join(short)}, before the project ends on {_day(end)}: renew it in time or "
            "access is suspended when it lapses."
        )
    return ctx.passed(f"Every valid accreditation lasts until the project ends ({_day(end)}).")


@check(
    "people.provisional_supervisor",
    safe=Safe.PEOPLE,
    title="A provisional DEA researcher has a fully accredited supervisor at their organisation",
)
def provisional_supervisor(application, ctx):
    if not uses_dea(ctx):
        return ctx.passed("No dataset is shared under the DEA research gateway: not needed.")
    problems = []
    relying = 0
    for member in ctx.members:
        awards = [a for a in _accreditations(ctx)[member.pk] if a.is_valid_on(ctx.access_start)]
        if any(a.kind == AccreditationKind.DEA_FULL for a in awards):
            continue
        for award in awards:
            if award.kind == AccreditationKind.DEA_PROVISIONAL:
                relying += 1
                problem = supervisor_problem(
                    person=member, supervisor=award.supervisor, day=ctx.today
                )
                if problem:
                    problems.append(f"{member}: {problem}")
    if problems:
        return ctx.fail(" ".join(problems))
    if relying:
        return ctx.passed("Every provisionally accredited member has a qualifying supervisor.")
    return ctx.passed("No member relies on provisional DEA accreditation.")


@check("projects.lay_summary", safe=Safe.PROJECTS, title="Lay summary of at most 300 words")
def lay_summary(application, ctx):
    limit = settings.LAY_SUMMARY_MAX_WORDS
    words = word_count(application.lay_summary)
    if not words:
        return ctx.fail("There is no lay summary: the public register publishes it.")
    if words > limit:
        return ctx.fail(f"The lay summary has {words} words; the limit is {limit}.")
    return ctx.passed(f"The lay summary has {words} words (at most {limit}).")


@check("projects.public_benefit", safe=Safe.PROJECTS, title="Public-benefit statement")
def public_benefit(application, ctx):
    if not application.public_benefit.strip():
        return ctx.fail("There is no public-benefit statement.")
    return ctx.passed("The application states its public benefit.")


@check("projects.purpose", safe=Safe.PROJECTS, title="Purpose from the list")
def purpose(application, ctx):
    if application.purpose not in Purpose.values:
        return ctx.fail("Choose the purpose of the project from the list.")
    return ctx.passed(f"Purpose: {Purpose(application.purpose).label}.")


@check(
    "projects.ethics",
    safe=Safe.PROJECTS,
    title="Ethics approval recorded where the route needs it",
)
def ethics(application, ctx):
    why = ethics_required(ctx)
    safeguards = _safeguards(ctx)
    recorded = safeguards is not None and all(
        [
            safeguards.ethics_reference.strip(),
            safeguards.ethics_committee.strip(),
            safeguards.ethics_approved_on,
        ]
    )
    if why is None:
        if recorded:
            return ctx.passed(
                f"Not required; approval {safeguards.ethics_reference} is recorded anyway."
            )
        return ctx.passed("Ethics approval is not required: no DEA gateway, no identifying data.")
    if not recorded:
        return ctx.fail(
            f"Ethics approval is required because {why}: record the committee, the reference and "
            "the date of approval."
        )
    if safeguards.ethics_approved_on > ctx.today:
        return ctx.fail("The ethics approval date is in the future.")
    return ctx.passed(
        f"Approved by {safeguards.ethics_committee} ({safeguards.ethics_reference}) on "
        f"{_day(safeguards.ethics_approved_on)}; required because {why}."
    )


@check("projects.dates", safe=Safe.PROJECTS, title="Valid project dates")
def dates(application, ctx):
    start, end = application.start_date, application.end_date
    if start is None or end is None:
        return ctx.fail("Give the project's start and end dates.")
    if end <= start:
        return ctx.fail("The project must end after it starts.")
    if end < ctx.today:
        return ctx.fail(f"The project ended on {_day(end)}.")
    return ctx.passed(f"From {_day(start)} to {_day(end)}.")


@check(
    "projects.legal_gateway",
    safe=Safe.PROJECTS,
    title="A legal gateway for each dataset",
)
def legal_gateway(application, ctx):
    if not ctx.requested:
        return ctx.fail("No dataset is requested.")
    problems = []
    for rd in ctx.requested:
        if rd.legal_gateway not in LegalGateway.values:
            problems.append(f"{rd.dataset.title} has no legal gateway.")
        elif (
            rd.legal_gateway == LegalGateway.DEA_RESEARCH
            and not rd.dataset.dea_gateway_permitted
            and not rd.dataset.holder_has_health_service_functions
        ):
            problems.append(
                f"{rd.dataset.title} is not shared under the Digital Economy Act research power."
            )
    if problems:
        return ctx.fail(" ".join(problems))
    return ctx.passed(
        "; ".join(f"{rd.dataset.title}: {rd.get_legal_gateway_display()}" for rd in ctx.requested)
        + "."
    )


@check(
    "projects.no_health_data_via_dea",
    safe=Safe.PROJECTS,
    title="No health-service data through the DEA gateway",
)
def no_health_data_via_dea(application, ctx):
    bad = [
        rd.dataset.title
        for rd in ctx.requested
        if rd.legal_gateway == LegalGateway.DEA_RESEARCH
        and rd.dataset.holder_has_health_service_functions
    ]
    if bad:
        return ctx.fail(
            f"{_names(bad)} {'is' if len(bad) == 1 else 'are'} held by a body with health-service "
            "functions: the Digital Economy Act research power excludes it. Choose another gateway."
        )
    return ctx.passed("No health-service data is requested through the DEA gateway.")


@check(
    "projects.public_benefit_assessment",
    safe=Safe.PROJECTS,
    title="Public-benefit assessment completed (advisory: never blocks)",
)
def public_benefit_assessment(application, ctx):

    done, total = completeness(getattr(application, "public_benefit_assessment", None))
    if done < total:
        return ctx.warn(
            f"The public-benefit assessment has {done} of {total} answers; the panel reads it."
        )
    return ctx.passed("The public-benefit assessment is complete.")


@check(
    "settings.tre_only",
    safe=Safe.SETTINGS,
    title="Access only inside the TRE (no download)",
)
def tre_only(application, ctx):
    safeguards = _safeguards(ctx)
    confirmed = safeguards.access_inside_tre_only if safeguards else None
    if confirmed is None:
        return ctx.pending(
            "Confirm that the team will use the data only inside the TRE, with no download."
        )
    if not confirmed:
        return ctx.fail(
            "The data are accessed only inside the TRE: this TRE does not release data for "
            "download."
        )
    return ctx.passed("The team uses the data only inside the TRE; nothing is downloaded.")


@check(
    "settings.security_assurance",
    safe=Safe.SETTINGS,
    title="The lead organisation's security assurance is recorded",
)
def security_assurance(application, ctx):
    org = application.lead_organisation
    if org is None:
        return ctx.fail("Name the lead organisation.")
    if not org.security_assurance.strip():
        return ctx.fail(f"{org.name} has no security assurance recorded (e.g. ISO/IEC 27001).")
    expires = org.security_assurance_expires_on
    if expires and expires < ctx.today:
        return ctx.fail(f"{org.name}'s {org.security_assurance} expired on {_day(expires)}.")
    if expires and application.end_date and expires < application.end_date:
        return ctx.warn(
            f"{org.name}'s {org.security_assurance} ends on {_day(expires)}, before the project "
            "does: it must be renewed."
        )
    return ctx.passed(f"{org.name}: {org.security_assurance}.")


@check("data.variables_justified", safe=Safe.DATA, title="Every variable justified")
def variables_justified(application, ctx):
    if not ctx.requested:
        return ctx.fail("No dataset is requested.")
    problems = []
    count = 0
    for rd in ctx.requested:
        variables = list(rd.variables.all())
        count += len(variables)
        if not variables:
            problems.append(f"No variables are chosen from {rd.dataset.title}.")
        unjustified = [rv.variable.name for rv in variables if not rv.justification.strip()]
        if unjustified and not rd.justification.strip():
            problems.append(
                f"{_names(unjustified)} in {rd.dataset.title}: justify them, or the dataset."
            )
    if problems:
        return ctx.fail(" ".join(problems))
    return ctx.passed(f"Each of the {count} variables is justified (its own or its dataset's).")


@check(
    "data.identifying_justified",
    safe=Safe.DATA,
    title="Identifying variables carry their own justification",
)
def identifying_justified(application, ctx):
    identifying = [
        (rd, rv) for rd in ctx.requested for rv in rd.variables.all() if rv.variable.is_identifying
    ]
    bare = [
        f"{rd.dataset.slug}.{rv.variable.name}"
        for rd, rv in identifying
        if not rv.justification.strip()
    ]
    if bare:
        return ctx.fail(f"{_names(bare)} can identify people: justify each on its own.")
    if identifying:
        return ctx.passed(f"{len(identifying)} identifying variable(s), each justified on its own.")
    return ctx.passed("No identifying variable is requested.")


@check("data.within_scope", safe=Safe.DATA, title="Requested variables stay within the scoped set")
def within_scope(application, ctx):
    scoping = getattr(application, "scoping", None)
    scoped = set(scoping.scoped_variables.values_list("id", flat=True)) if scoping else set()
    if not scoped:
        return ctx.pending("The analyst has not agreed the variables in scope yet.")
    outside = [
        f"{rd.dataset.slug}.{rv.variable.name}"
        for rd in ctx.requested
        for rv in rd.variables.all()
        if rv.variable_id not in scoped
    ]
    if outside:
        return ctx.fail(f"{_names(outside)} {'is' if len(outside) == 1 else 'are'} not in scope.")
    return ctx.passed("Every requested variable is within the scope agreed with the analyst.")


@check("data.sensitivity_recorded", safe=Safe.DATA, title="Highest sensitivity recorded")
def sensitivity_recorded(application, ctx):
    if not ctx.requested:
        return ctx.fail("No dataset is requested.")
    unknown = [
        rd.dataset.title for rd in ctx.requested if rd.dataset.sensitivity not in Sensitivity.values
    ]
    if unknown:
        return ctx.fail(
            f"{_names(unknown)} {'has' if len(unknown) == 1 else 'have'} no sensitivity recorded."
        )
    highest = max(ctx.requested, key=lambda rd: Sensitivity.rank(rd.dataset.sensitivity))
    return ctx.passed(
        f"Highest sensitivity: {in_sentence(Sensitivity(highest.dataset.sensitivity).label)} "
        f"({highest.dataset.title})."
    )


@check("outputs.declared", safe=Safe.OUTPUTS, title="Intended outputs declared")
def outputs_declared(application, ctx):
    safeguards = _safeguards(ctx)
    if safeguards is None or not safeguards.intended_outputs.strip():
        return ctx.fail("Declare the outputs the project will take out of the TRE.")
    return ctx.passed("The intended outputs are declared.")


@check(
    "outputs.disclosure_rules",
    safe=Safe.OUTPUTS,
    title="Disclosure-control rules acknowledged",
)
def disclosure_rules(application, ctx):
    minimum = settings.DISCLOSURE_MIN_CELL_COUNT
    safeguards = _safeguards(ctx)
    if safeguards is None or safeguards.disclosure_rules_acknowledged_at is None:
        return ctx.fail(
            f"The team has not acknowledged the disclosure-control rules (no cell below {minimum}, "
            "no individual-level results leave the TRE)."
        )
    if safeguards.disclosure_min_cell_count != minimum:
        acknowledged = safeguards.disclosure_min_cell_count
        return ctx.fail(
            f"The team acknowledged a minimum cell count of {acknowledged}; the rule is now "
            f"{minimum}: acknowledge it again."
        )
    when = _day(timezone.localdate(safeguards.disclosure_rules_acknowledged_at))
    return ctx.passed(
        f"Acknowledged by {safeguards.disclosure_rules_acknowledged_by} on {when} "
        f"(minimum cell count {minimum})."
    )
