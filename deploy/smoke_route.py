"""The HTTP half of deploy/smoke: one SAIL-route application from submission to access, through
nginx, with API tokens, each step taken by the demo person whose job it is (load_demo).

Standard library only, so it needs nothing the production install does not have. Run by
deploy/smoke: ``smoke_route.py route|reminder http://127.0.0.1:8088 MAIL_DIR``.
Prints one line per step and exits non-zero at the first unexpected answer.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PASSWORD = "demo-pass-2026"  # noqa: S105 - the published demo password (README), load_demo


class SmokeFailure(Exception):
    pass


class Api:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.tokens: dict[str, str] = {}

    def call(
        self, method: str, path: str, who: str | None = None, body: dict | None = None
    ) -> tuple[int, dict, dict]:
        """One request; returns (status, headers, JSON body or {})."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if who:
            request.add_header("Authorization", f"Token {self.tokens[who]}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, headers, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, headers, raw = error.code, dict(error.headers), error.read()
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {"raw": raw[:200].decode(errors="replace")}
        return status, headers, payload

    def ok(self, method: str, path: str, who: str | None = None, body: dict | None = None):
        status, _, payload = self.call(method, path, who, body)
        if status not in (200, 201):
            raise SmokeFailure(f"{method} {path} as {who}: {status} {payload}")
        return payload

    def login(self, username: str) -> None:
        answer = self.ok(
            "POST", "/api/v1/auth/token/", body={"login": username, "password": PASSWORD}
        )
        self.tokens[username] = answer["token"]


def step(text: str) -> None:
    print(f"  - {text}", flush=True)


def drive(api: Api) -> dict:
    """Draft to active; returns the application as the PI last saw it."""
    people = [
        "rhian.researcher",
        "aled.analyst",
        "bethan.analyst",
        "gwen.reviewer",
        "elin.panel",
        "david.panel",
        "gareth.panel",
        "sian.panel",
        "mair.panel",
        "carys.dhcw",
        "huw.welshgov",
        "sarah.ons",
        "dylan.signatory",
        "owain.ops",
    ]
    for person in people:
        api.login(person)
    ids = {p: api.ok("GET", "/api/v1/me/", p)["id"] for p in people}
    step(f"{len(people)} demo people logged in with tokens")

    pi = "rhian.researcher"
    today = datetime.datetime.now(datetime.UTC).date()
    # Access ends within 90 days, so the reminder sweep genuinely has an "access ends soon"
    # reminder to raise for this project once it is live (no clock is moved).
    start, end = today + datetime.timedelta(days=1), today + datetime.timedelta(days=60)
    app = api.ok(
        "POST",
        "/api/v1/applications/",
        pi,
        {
            "title": f"Smoke test: admissions after school ({time.time():.0f})",
            "lay_summary": "How often young adults are admitted to hospital in Wales.",
            "research_question": "Do admissions at 20 to 30 differ by area?",
            "public_benefit": "Evidence for hospital planning in Wales.",
            "purpose": "public_policy",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "lead_organisation": "swansea-university",
            "members": [{"user": ids[pi], "project_role": "principal_investigator"}],
            "datasets": [
                {
                    "dataset": "pedw",
                    "legal_gateway": "public_task",
                    "justification": "Admissions are the outcome.",
                    "variables": [{"variable": "admis_dt"}, {"variable": "spell_dur"}],
                }
            ],
        },
    )
    url = f"/api/v1/applications/{app['id']}/"
    step(f"created {app['reference']} (draft)")
    api.ok(
        "PATCH",
        url + "safeguards/",
        pi,
        {
            "ethics_reference": "REC 26/WA/0001",
            "ethics_committee": "Wales Research Ethics Committee 3",
            "ethics_approved_on": (today - datetime.timedelta(days=30)).isoformat(),
            "intended_outputs": "Aggregate tables for a report.",
            "access_inside_tre_only": True,
            "acknowledge_disclosure_rules": True,
        },
    )
    app = api.ok("POST", url + "submit/", pi, {})
    expect(app, "scoping")
    analyst = next(p for p in ("aled.analyst", "bethan.analyst") if ids[p] == app["analyst"]["id"])
    step(f"submitted: scoping, analyst {analyst}")

    variables = api.ok("GET", "/api/v1/datasets/pedw/", pi)["variables"]
    scoped = [v["id"] for v in variables if v["name"] in {"admis_dt", "spell_dur"}]
    api.ok("PATCH", url + "scoping/", analyst, {"feasible": True, "scoped_variables": scoped})
    expect(api.ok("POST", url + "complete-scoping/", analyst, {}), "internal_review")
    step("scoped and completed: internal review")
    app = api.ok("POST", url + "refer-to-panels/", "gwen.reviewer", {})
    expect(app, "in_review")
    step("referred: tracks " + ", ".join(sorted(t["kind"] for t in app["tracks"])))

    for track in app["tracks"]:
        if track["state"] != "open":
            continue
        track_url = f"/api/v1/review-tracks/{track['id']}/"
        if track["kind"] == "owner_signoff":
            decided = False
            for owner in ("carys.dhcw", "huw.welshgov", "sarah.ons"):
                status, _, _ = api.call(
                    "POST", track_url + "decide/", owner, {"outcome": "approved"}
                )
                if status == 200:
                    decided = True
                    step(f"owner sign-off by {owner}")
                    break
            if not decided:
                raise SmokeFailure(f"no owner could decide track {track['id']}")
            continue
        # IGRP: elin chairs, gareth and sian are lay members; its first round is blind, so the
        # chair votes before closing. DEA panel: david chairs (and votes).
        voters, chair = (
            (["david.panel", "gareth.panel", "sian.panel", "elin.panel"], "elin.panel")
            if track["kind"] == "igrp"
            else (["mair.panel", "sian.panel", "david.panel"], "david.panel")
        )
        for voter in voters:
            api.ok("POST", track_url + "votes/", voter, {"choice": "approved"})
        api.ok("POST", track_url + "close/", chair, {"outcome": "approved"})
        step(f"{track['kind']}: {len(voters)} votes, closed by {chair}")

    app = api.ok("GET", url, pi)
    expect(app, "approved")
    api.ok("POST", url + "agreement/sign/", pi, {"capacity": "member"})
    api.ok(
        "POST", url + "agreement/sign/", "dylan.signatory", {"capacity": "organisation_signatory"}
    )
    step("approved; agreement signed by the PI and the university's signatory")
    app = api.ok("POST", url + "grant-access/", "owain.ops", {})
    expect(app, "active")
    grants = api.ok("GET", f"/api/v1/access-grants/?application={app['id']}", pi)["results"]
    if not grants or grants[0]["state"] != "active":
        raise SmokeFailure(f"no active access grant: {grants}")
    step(f"access granted: active until {grants[0]['end_on']}")
    return app


def expect(app: dict, state: str) -> None:
    if app["state"] != state:
        raise SmokeFailure(f"{app['reference']} is {app['state']}, expected {state}")


def wait_for_email(mail_dir: Path, needle: str, timeout: float = 60) -> Path:
    """The worker delivers emails: wait until one containing ``needle`` is written."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.log")):
            if needle in path.read_text(errors="replace"):
                return path
        time.sleep(0.5)
    raise SmokeFailure(f"no email containing {needle!r} in {mail_dir} after {timeout:.0f} s")


def api_docs(base: str) -> None:
    """The API docs page and every file it names come from this site, through nginx (Swagger UI
    from static/vendor/, under its collected, hashed names)."""
    with urllib.request.urlopen(base + "/api/docs/", timeout=30) as response:  # noqa: S310
        page = response.read().decode()
        policy = response.headers.get("Content-Security-Policy", "")
    if "http" in policy:
        raise SmokeFailure(f"the API docs' policy names another origin: {policy}")
    files = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    if not any("swagger-ui-bundle" in f for f in files):
        raise SmokeFailure(f"the API docs page names no Swagger UI bundle: {files}")
    for path in files:
        with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310
            if response.status != 200:
                raise SmokeFailure(f"{path}: {response.status}")
    step(f"API docs: Swagger UI from this site, {len(files)} files through nginx")


def route(base: str, mail_dir: Path) -> None:
    api_docs(base)
    app = drive(Api(base))
    # The approval letter's email to the PI: raised in the web request's transaction, sent by
    # the worker after commit (deliver_notification).
    found = wait_for_email(mail_dir, f"{app['reference']}")
    step(f"notification email about {app['reference']} written by the worker ({found.name})")
    (mail_dir.parent / "application.json").write_text(json.dumps(app))


def reminder(base: str, mail_dir: Path) -> None:
    """After deploy/smoke published ``workflow.tasks.send_reminders`` through Redis: the
    worker's sweep raised "access ends soon" for the new grant, and delivered it by email."""
    app = json.loads((mail_dir.parent / "application.json").read_text())
    subject = f"Your access for {app['reference']} ends in"
    found = wait_for_email(mail_dir, subject)
    api = Api(base)
    api.login("rhian.researcher")
    inbox = api.ok("GET", "/api/v1/notifications/?page_size=100", "rhian.researcher")["results"]
    if not any(n["kind"] == "access.expiring" and app["reference"] in n["subject"] for n in inbox):
        raise SmokeFailure("the access.expiring reminder is not in the PI's inbox")
    step(f"reminder {subject!r}... raised by the sweep on the worker, emailed ({found.name})")


def main(argv: list[str]) -> int:
    what, base, mail_dir = argv
    try:
        {"route": route, "reminder": reminder}[what](base, Path(mail_dir))
    except SmokeFailure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
