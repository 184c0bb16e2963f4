"""Applications in the demo TRE taken to a point of the route through the real services, for
browser tests that start part-way (the whole route through the pages is test_route.py)."""

from __future__ import annotations

import datetime

from catalogue.models import Dataset, Variable
from workflow.models import Application, RequestedVariable, State
from workflow.route import services as route_services
from workflow.safes import services as safes_services


def plasc_application(users, *, gateway: str = "public_task", title: str) -> Application:
    """Rhian's project on school census data: non-identifying variables, for public policy,
    so it falls within Welsh Government's pre-approved category. Its safeguards are recorded
    (ethics approval, declared outputs, TRE-only access), as the Five Safes gates need."""
    application = route_services.application_create(
        by=users["rhian.researcher"],
        data={
            "title": title,
            "lay_summary": "How free school meals relate to attainment across Wales.",
            "research_question": "Does eligibility for free school meals predict progression?",
            "public_benefit": "Evidence for targeting support in Welsh schools.",
            "purpose": "public_policy",
            "start_date": datetime.date(2027, 1, 1),
            "end_date": datetime.date(2028, 12, 31),
            "funder": "Economic and Social Research Council",
            "datasets": [
                {
                    "dataset": Dataset.objects.get(slug="plasc"),
                    "legal_gateway": gateway,
                    "justification": "Free school meals and year group for each pupil.",
                    "variables": [{"variable": "fsm_flag"}, {"variable": "year_group"}],
                }
            ],
        },
    )
    safes_services.safeguards_update(
        application=application,
        by=users["rhian.researcher"],
        data={
            "ethics_reference": "REC 26/WA/0007",
            "ethics_committee": "Wales Research Ethics Committee 6",
            "ethics_approved_on": datetime.date(2026, 5, 1),
            "intended_outputs": "Aggregate tables by year group for a policy briefing.",
            "access_inside_tre_only": True,
            "acknowledge_disclosure_rules": True,
        },
    )
    return application


def to_internal_review(application: Application) -> Application:
    pi = application.members.get(project_role="principal_investigator").user
    route_services.application_submit(application=application, by=pi)
    application.refresh_from_db()
    requested = RequestedVariable.objects.filter(requested_dataset__application=application)
    route_services.scoping_update(
        application=application,
        by=application.analyst,
        data={
            "feasible": True,
            "scoped_variables": list(
                Variable.objects.filter(pk__in=requested.values("variable_id"))
            ),
        },
    )
    route_services.application_complete_scoping(application=application, by=application.analyst)
    application.refresh_from_db()
    assert application.state == State.INTERNAL_REVIEW
    return application


def to_in_review(application: Application, users) -> Application:
    to_internal_review(application)
    route_services.application_refer_to_panels(application=application, by=users["gwen.reviewer"])
    application.refresh_from_db()
    return application
