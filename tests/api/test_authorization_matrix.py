"""Every read operation of the API × every kind of person × one application they own, see only
in part, or have nothing to do with: the expected status is declared below (the spec), and a
200 where the spec says 401/403/404 is a leak. Bodies are checked too: a person who may not see
the application never finds its title or reference in any answer.

The operations come from the OpenAPI schema, so a new endpoint without a line here fails
``test_every_operation_has_a_line_in_the_matrix``. Writes are specified and tried elsewhere
(listed in ``WRITES``): the transitions in test_permission_matrix.py (role × state), votes,
conflicts and closing in test_panels.py and test_separation_of_duties.py, safe people in
test_safe_people_api.py; this file checks that each of them has such a home.

The count of cases tried is printed (and written to test-artifacts/figures/ for
docs/reliability.md).
"""

from __future__ import annotations

import datetime
import json
import os
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from access.identity import services as identity_services
from access.models import Role
from tests.factories import make_user
from tests.factories.catalogue import make_category
from tests.factories.workflow import World
from workflow.models import PanelMode, State, TrackKind
from workflow.reviews import services as reviews_services
from workflow.safes.services import safeguards_of
from workflow.sittings import services as sittings

pytestmark = pytest.mark.django_db

# --- who ------------------------------------------------------------------------------------
# Relative to application A (in review, an IGRP track and an owner sign-off track open):
#   own:       pi, member
#   partial:   owner (a data owner of a requested dataset sees their own part)
#   someone else's: outsider, other_analyst, other_owner, panel_off (on no panel of A),
#              officer, signatory (of A's university, but no role on A)
#   staff with a part in it: analyst (assigned), reviewer, panel (on the IGRP, the chair),
#              conflicted (on the IGRP, declared a conflict), ops
ROLES = (
    "anonymous",
    "pi",
    "member",
    "outsider",
    "analyst",
    "other_analyst",
    "reviewer",
    "panel",
    "panel_off",
    "conflicted",
    "owner",
    "other_owner",
    "ops",
    "officer",
    "signatory",
)
EVERYONE = frozenset(ROLES) - {"anonymous"}
SEES_A = frozenset({"pi", "member", "analyst", "reviewer", "panel", "conflicted", "ops"})
SEES_A_IN_PART = frozenset({"owner"})


def spec(ok: frozenset[str], *, partial: int | None = None, hidden: int = 404) -> dict[str, int]:
    """200 for ``ok``, 401 anonymous, ``partial`` for those who see A in part, ``hidden`` for
    everyone else."""
    out = {"anonymous": 401}
    for role in EVERYONE:
        if role in ok:
            out[role] = 200
        elif role in SEES_A_IN_PART and partial is not None:
            out[role] = partial
        else:
            out[role] = hidden
    return out


PUBLIC = dict.fromkeys(ROLES, 200)
SIGNED_IN = spec(EVERYONE)  # lists and one's own things: filtered, never refused
FULL_APPLICATION = spec(SEES_A, partial=403)  # the whole application: owners see their part
WITH_OWNER_PART = spec(SEES_A | SEES_A_IN_PART)  # owners see it, reduced to their part
STAFF = frozenset({"ops"})

# The spec: every GET operation of the API.
READS: dict[str, dict[str, int]] = {
    "/api/v1/organisations/": PUBLIC,
    "/api/v1/organisations/{slug}/": PUBLIC,
    "/api/v1/datasets/": PUBLIC,
    "/api/v1/datasets/{slug}/": PUBLIC,
    "/api/v1/variables/": PUBLIC,
    "/api/v1/variables/{id}/": PUBLIC,
    "/api/v1/pre-approved-categories/": PUBLIC,
    "/api/v1/pre-approved-categories/{id}/": PUBLIC,
    "/api/v1/pre-approved-categories/{id}/versions/": PUBLIC,
    "/api/v1/pre-approved-categories/{id}/versions/{version}/": PUBLIC,
    "/api/v1/me/": SIGNED_IN,
    "/api/v1/applications/": SIGNED_IN,
    "/api/v1/review-tracks/": SIGNED_IN,
    "/api/v1/accreditations/": SIGNED_IN,
    "/api/v1/access-grants/": SIGNED_IN,
    "/api/v1/agreements/": SIGNED_IN,
    "/api/v1/agreements/{version}/": SIGNED_IN,
    "/api/v1/notifications/": SIGNED_IN,
    "/api/v1/notifications/preferences/": SIGNED_IN,
    "/api/v1/panels/": SIGNED_IN,
    # A panel's membership is staff information: panel members (any panel), reviewers, ops.
    "/api/v1/panels/{id}/": spec(
        frozenset({"reviewer", "panel", "panel_off", "conflicted", "ops"})
    ),
    "/api/v1/stage-targets/": SIGNED_IN,
    "/api/v1/stage-targets/{stage}/": SIGNED_IN,
    # Someone else's notification is not there for you.
    "/api/v1/notifications/{id}/": spec(frozenset({"pi"})),
    # The pi's own accreditation: the person, the officers and ops.
    "/api/v1/accreditations/{id}/": spec(frozenset({"pi", "officer", "ops"})),
    # A's access grant (none yet: the application is in review) is found by nobody.
    "/api/v1/access-grants/{id}/": spec(frozenset()),
    # Affiliations: your own, and those of the organisations you vouch for (the pi's, to the
    # university: the pi and the university's signatory).
    "/api/v1/affiliations/": SIGNED_IN,
    "/api/v1/affiliations/{id}/": spec(frozenset({"pi", "signatory"})),
    # The university's people: its signatory, and ops.
    "/api/v1/organisations/{slug}/people/": spec(frozenset({"signatory", "ops"}), hidden=403),
    "/api/v1/metrics/turnaround/": spec(STAFF, hidden=403),
    "/api/v1/metrics/turnaround.csv": spec(STAFF, hidden=403),
    "/api/v1/applications/{id}/": WITH_OWNER_PART,
    "/api/v1/applications/{id}/transitions/": WITH_OWNER_PART,
    "/api/v1/applications/{id}/timeline/": WITH_OWNER_PART,
    "/api/v1/applications/{id}/versions/": FULL_APPLICATION,
    "/api/v1/applications/{id}/invitations/": FULL_APPLICATION,
    "/api/v1/applications/{id}/versions/{number}/": FULL_APPLICATION,
    # Asked without the versions to compare: 400 for those who see it, after the visibility
    # check (404/403 for the rest), so the order of the checks leaks nothing either.
    "/api/v1/applications/{id}/diff/": {**FULL_APPLICATION, **dict.fromkeys(SEES_A, 400)},
    "/api/v1/applications/{id}/feedback/": FULL_APPLICATION,
    "/api/v1/applications/{id}/scoping/": FULL_APPLICATION,
    "/api/v1/applications/{id}/clocks/": WITH_OWNER_PART,
    "/api/v1/applications/{id}/forecast/": WITH_OWNER_PART,
    "/api/v1/applications/{id}/pre-approval/": WITH_OWNER_PART,
    # Looking people up to add them: the team while it may edit (A is in review: 409), 403 for
    # the others who see A, after the visibility check (tests/api/test_people_lookup.py).
    "/api/v1/applications/{id}/people/": {
        **spec(frozenset()),
        **dict.fromkeys((SEES_A | SEES_A_IN_PART) - {"pi", "member"}, 403),
        "pi": 409,
        "member": 409,
    },
    # No decision yet: 409 for those who see it, after the visibility check.
    "/api/v1/applications/{id}/decision-letter/": {
        **FULL_APPLICATION,
        **dict.fromkeys(SEES_A, 409),
    },
    "/api/v1/applications/{id}/five-safes/": FULL_APPLICATION,
    "/api/v1/applications/{id}/safeguards/": FULL_APPLICATION,
    "/api/v1/applications/{id}/safeguards/ethics-letter/": FULL_APPLICATION,
    "/api/v1/applications/{id}/public-benefit/": FULL_APPLICATION,
    "/api/v1/applications/{id}/public-benefit/scores/": FULL_APPLICATION,
    "/api/v1/applications/{id}/conditions/": FULL_APPLICATION,
    # Public involvement: whoever sees the whole application (the panels among them).
    "/api/v1/applications/{id}/public-involvement/": FULL_APPLICATION,
    # The consumer panel's consultations: its members' list (nobody here sits on it: empty);
    # A has none, so nobody finds one.
    "/api/v1/consultations/": SIGNED_IN,
    "/api/v1/consultations/{id}/": spec(frozenset()),
    # The agreement is signed by the team and by their organisation's signatory, and the data
    # owners are party to it: they see its status (the test checks it does not show A itself).
    "/api/v1/applications/{id}/agreement/": spec(SEES_A | {"owner", "signatory"}),
    "/api/v1/review-tracks/{id}/": spec(SEES_A),
    "/api/v1/review-tracks/{id}/votes/": spec(SEES_A),
    # The public data-use register; A is still in review, so it has no entry yet (404 for all).
    "/api/v1/register/": PUBLIC,
    "/api/v1/register.csv": PUBLIC,
    "/api/v1/register/{reference}/": dict.fromkeys(ROLES, 404),
    # Decision records are for reviewers, panel members (any panel) and ops.
    "/api/v1/decision-records/": spec(
        frozenset({"reviewer", "panel", "panel_off", "conflicted", "ops"}), hidden=403
    ),
    "/api/v1/applications/{id}/outputs/": WITH_OWNER_PART,
    # The RO-Crate export: reviewers and ops; others who see A are refused (403), the rest
    # do not find it (404).
    "/api/v1/applications/{id}/ro-crate/": {
        **spec(frozenset({"reviewer", "ops"})),
        **dict.fromkeys((SEES_A | SEES_A_IN_PART) - {"reviewer", "ops"}, 403),
    },
    # Provisioning (docs/provisioning.md): your own entitlements and visas (none yet: A is in
    # review); everyone's, the change feed and the webhooks are for the secure environment's
    # service account (tests/api/test_provisioning.py) and ops; the JWKS is public.
    "/api/v1/entitlements/": SIGNED_IN,
    "/api/v1/entitlements/visas/": SIGNED_IN,
    "/api/v1/entitlements/changes/": spec(STAFF, hidden=403),
    "/api/v1/jwks/": PUBLIC,
    "/api/v1/webhook-receivers/": spec(STAFF, hidden=403),
    "/api/v1/webhook-deliveries/": spec(STAFF, hidden=403),
    # No such receiver or delivery: ops do not find it, everyone else is refused first.
    "/api/v1/webhook-receivers/{id}/": {**spec(frozenset(), hidden=403), "ops": 404},
    "/api/v1/webhook-deliveries/{id}/": {**spec(frozenset(), hidden=403), "ops": 404},
    # Safe outputs: A is in review, so it has no output request; whose requests are whose is
    # the matrix of tests/api/test_output_checks.py.
    "/api/v1/output-requests/": SIGNED_IN,
    "/api/v1/output-requests/{id}/": spec(frozenset()),
    "/api/v1/output-requests/{id}/reviews/": spec(frozenset()),
    "/api/v1/output-requests/{id}/files/{file_id}/download/": spec(frozenset()),
    "/api/v1/metrics/output-checks/": spec(STAFF, hidden=403),
    # A is on the agenda of an IGRP sitting with its papers issued: the panel's members and ops
    # see the sitting; the papers not the member conflicted on A; no minutes are published yet.
    "/api/v1/sittings/": SIGNED_IN,
    "/api/v1/sittings/{id}/": spec(frozenset({"panel", "conflicted", "ops"})),
    "/api/v1/sittings/{id}/items/{item_id}/paper/": spec(frozenset({"panel", "ops"})),
    "/api/v1/minutes/": PUBLIC,
    "/api/v1/minutes/{id}/": dict.fromkeys(ROLES, 404),
    # A project's life after access: A is in review, so it has no progress report or close-out;
    # whose are whose is the matrix of tests/api/test_lifecycle.py. The settings are ops'.
    "/api/v1/progress-reports/": SIGNED_IN,
    "/api/v1/progress-reports/{id}/": spec(frozenset()),
    "/api/v1/closures/": SIGNED_IN,
    "/api/v1/closures/{id}/": spec(frozenset()),
    "/api/v1/lifecycle-settings/": spec(STAFF, hidden=403),
    # Amendments: A is in review, so it has none (whose amendments are whose, and who decides
    # them, is the matrix of tests/api/test_amendments.py); owners see A only in part.
    "/api/v1/applications/{id}/amendments/": FULL_APPLICATION,
    "/api/v1/applications/{id}/amendments/{amendment_id}/": spec(frozenset(), partial=403),
    "/api/v1/applications/{id}/amendments/{amendment_id}/routing/": spec(frozenset(), partial=403),
    "/api/v1/amendment-tracks/": SIGNED_IN,
    "/api/v1/amendment-route-rules/": SIGNED_IN,
}

# Every write operation and the test file that tries it against each role.
WRITES = {
    (
        r"^/api/v1/applications/\{id\}/(submit|resubmit|withdraw|request-changes|"
        r"complete-scoping|refer-to-panels|reject|grant-access|suspend|reinstate|close)/$"
    ): "test_permission_matrix.py",
    r"^/api/v1/review-tracks/": "test_panels.py, test_separation_of_duties.py",
    r"^/api/v1/panels/": "test_panels.py, test_sitting_permissions.py (mode)",
    r"^/api/v1/(accreditations|agreements|access-grants)": "test_safe_people_api.py",
    r"^/api/v1/applications/\{id\}/agreement/": "test_safe_people_route.py",
    r"^/api/v1/applications/\{id\}/(five-safes|safeguards|public-benefit|conditions)": (
        "test_five_safes_api.py, test_evidence_uploads.py"
    ),
    r"^/api/v1/applications/(\{id\}/(feedback|scoping|assign-analyst)|\{id\}/|)": (
        "test_feedback_and_versions.py, test_route.py, test_visibility.py"
    ),
    r"^/api/v1/(datasets|variables|pre-approved-categories)": "test_catalogue_api.py",
    r"^/api/v1/(stage-targets)": "test_stage_targets.py",
    r"^/api/v1/affiliations/": "test_identity_api.py",
    r"^/api/v1/(applications/\{id\}/invitations|invitations/accept)/$": "test_invitations.py",
    r"^/api/v1/applications/\{id\}/invitations/\{invitation_id\}/withdraw/$": (
        "test_invitation_withdraw.py"
    ),
    r"^/api/v1/applications/\{id\}/outputs/$": "test_register_api.py",
    r"^/api/v1/(notifications|me)": "test_notifications_api.py",
    r"^/api/v1/auth/token/$": "tests/unit/test_access_login.py, tests/unit/test_hardening.py, "
    "tests/api/test_tokens_and_sessions.py",
    r"^/api/v1/auth/sign-out-everywhere/$": "tests/api/test_tokens_and_sessions.py",
    r"^/api/v1/webhook-(receivers|deliveries)/": "tests/api/test_provisioning.py, "
    "tests/unit/test_webhook_delivery.py",
    r"^/api/v1/output-requests/": "test_output_checks.py, test_output_checks_acro.py",
    r"^/api/v1/(applications/\{id\}/public-involvement/|consultations/)": (
        "test_public_involvement.py"
    ),
    r"^/api/v1/panels/\{id\}/rule/$": "test_lay_members_and_blind_rounds.py",
    r"^/api/v1/sittings/": "test_sitting_permissions.py, test_sittings.py",
    r"^/api/v1/(progress-reports|closures|lifecycle-settings)/": "tests/api/test_lifecycle.py",
    r"^/api/v1/applications/\{id\}/amendments/": "test_amendments.py",
}

# A (its title and reference) must never appear in an answer to these.
MUST_NOT_SEE_A = EVERYONE - SEES_A - SEES_A_IN_PART


def operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_operation_has_a_line_in_the_matrix():
    missing = []
    for method, path in operations():
        if method == "GET":
            if path not in READS:
                missing.append(f"{method} {path}: add it to READS")
        elif not any(re.match(pattern, path) for pattern in WRITES):
            missing.append(f"{method} {path}: add the test that tries it to WRITES")
    assert not missing, "\n".join(missing)
    assert set(READS) <= {path for method, path in operations() if method == "GET"}


@pytest.fixture
def people(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = World()
    world.add_health_provider()
    application = world.at(State.IN_REVIEW)
    igrp = application.tracks.get(kind=TrackKind.IGRP)
    reviews_services.conflict_declare(track=igrp, by=world.lay, reason="I supervise the PI.")
    # A letter on file, so the download is tried for real (who gets it, who gets 404).
    safeguards = safeguards_of(application)
    safeguards.ethics_letter.save("letter.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    safeguards.ethics_letter_type = "application/pdf"
    safeguards.ethics_letter_name = "letter.pdf"
    safeguards.save()
    cast = {
        "pi": world.pi,
        "member": world.colleague,
        "outsider": world.outsider,
        "analyst": world.analyst,
        "other_analyst": make_user(Role.ANALYST, full_name="Other Analyst"),
        "reviewer": world.reviewer,
        "panel": world.panel,
        "panel_off": make_user(Role.PANEL_MEMBER, full_name="Paula Elsewhere"),
        "conflicted": world.lay,
        "owner": world.owner,
        "other_owner": world.owner2,
        "ops": world.ops,
        "officer": world.officer,
        "signatory": world.signatory,
    }
    # The analyst assigned to A is whoever the route chose; the other one has no part in it.
    if application.analyst_id != world.analyst.pk:
        cast["analyst"], cast["other_analyst"] = world.analyst2, world.analyst
    category = make_category(dataset=world.dataset2, by=world.owner2)
    # The IGRP sits: A is on a sitting's agenda, its papers issued.
    world.igrp.mode = PanelMode.SITTING
    world.igrp.save()
    day = timezone.localdate() + datetime.timedelta(days=7)
    sitting = sittings.sitting_create(panel=world.igrp, by=world.ops, date=day, cut_off=day)
    sittings.agenda_publish(sitting=sitting, by=world.ops)
    sittings.papers_issue(sitting=sitting, by=world.ops)
    item = sitting.items.get()
    params = {
        "id": application.pk,
        "number": 1,
        "slug": world.dataset.slug,
        "stage": "scoping",
    }
    special = {
        "/api/v1/organisations/{slug}/": {"slug": world.provider.slug},
        "/api/v1/organisations/{slug}/people/": {"slug": world.university.slug},
        "/api/v1/affiliations/{id}/": {
            "id": identity_services.affiliation_request(
                person=world.pi, organisation=world.university, by=world.pi
            ).pk
        },
        "/api/v1/variables/{id}/": {"id": world.year.pk},
        "/api/v1/pre-approved-categories/{id}/": {"id": category.pk},
        "/api/v1/pre-approved-categories/{id}/versions/": {"id": category.pk},
        "/api/v1/pre-approved-categories/{id}/versions/{version}/": {
            "id": category.pk,
            "version": 1,
        },
        "/api/v1/agreements/{version}/": {"version": world.agreement.version},
        "/api/v1/panels/{id}/": {"id": world.igrp.pk},
        "/api/v1/review-tracks/{id}/": {"id": igrp.pk},
        "/api/v1/review-tracks/{id}/votes/": {"id": igrp.pk},
        "/api/v1/notifications/{id}/": {"id": world.pi.notifications.order_by("id").first().pk},
        "/api/v1/accreditations/{id}/": {"id": world.pi.accreditations.first().pk},
        "/api/v1/access-grants/{id}/": {"id": 999_999},
        "/api/v1/webhook-receivers/{id}/": {"id": 999_999},
        "/api/v1/webhook-deliveries/{id}/": {"id": 999_999},
        "/api/v1/register/{reference}/": {"reference": application.reference},
        "/api/v1/output-requests/{id}/files/{file_id}/download/": {"id": 999_999, "file_id": 1},
        "/api/v1/consultations/{id}/": {"id": 999_999},
        "/api/v1/sittings/{id}/": {"id": sitting.pk},
        "/api/v1/sittings/{id}/items/{item_id}/paper/": {"id": sitting.pk, "item_id": item.pk},
        "/api/v1/minutes/{id}/": {"id": sitting.pk},
        "/api/v1/applications/{id}/amendments/{amendment_id}/": {"amendment_id": 999_999},
        "/api/v1/applications/{id}/amendments/{amendment_id}/routing/": {"amendment_id": 999_999},
    }
    return application, cast, params, special


def test_reads_by_every_role_leak_nothing(people):
    application, cast, params, special = people
    secrets = [application.title, application.reference]
    tried = leaks = 0
    failures = []
    for path, expected in READS.items():
        url = path.format(**{**params, **special.get(path, {})})
        for role in ROLES:
            client = APIClient()
            if role != "anonymous":
                client.force_authenticate(cast[role])
            response = client.get(url)
            tried += 1
            want = expected[role]
            got = response.status_code
            if got != want:
                if got == 200:
                    leaks += 1
                failures.append(f"{role:>13} GET {url}: expected {want}, got {got}")
            if got == 200 and role in MUST_NOT_SEE_A:
                body = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                text = body.decode(errors="replace")
                for secret in secrets:
                    if secret and secret in text:
                        leaks += 1
                        failures.append(f"{role:>13} GET {url}: the answer shows A ({secret!r})")
            elif response.streaming:
                b"".join(response.streaming_content)
    print(
        f"\nauthorization matrix: {tried} cases tried ({len(READS)} read operations x "
        f"{len(ROLES)} roles), {leaks} leaks, {len(failures)} differences from the spec"
    )
    figures = Path(os.environ.get("FIGURES_DIR", "test-artifacts/figures"))
    figures.mkdir(parents=True, exist_ok=True)
    (figures / "authorization_matrix.json").write_text(
        json.dumps(
            {
                "cases": tried,
                "operations": len(READS),
                "roles": len(ROLES),
                "leaks": leaks,
                "differences": len(failures),
            }
        )
    )
    assert not failures, "\n".join(failures)
