"""What people use, at national scale: `make bench`'s section on pages, queues and lists.

Loads a TRE with realistic shapes in SQL (several researchers per organisation, about five
applications each, two more team members per application, twenty analysts, every state of the
route, one or two requested datasets each, open panel and sign-off tracks for those in review,
notifications, register entries for decided projects) and measures, in this process through
Django's test client (one request at a time, no network), every landing page and queue of every
role, the application overview as each role, the public pages and the register CSV, and the API
list as every role. Each figure is the median and p95 of a run of requests, the queries of one
request, and the ratio to the floor (`/api/v1/bench/floor/`: token authentication and `{}`)
measured just before it, in the same round; then the same requests are sent over HTTP to one
gunicorn worker, whose resident and peak memory after each row are reported
(``scripts/bench.py``'s ``worker_memory``). Called by ``scripts/bench.py``
(``BENCH_ONLY=people`` runs this section alone).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

# State of the route: share of the applications in it (a TRE a few years in).
STATES = [
    ("scoping", 20),
    ("changes_requested", 5),
    ("internal_review", 15),
    ("in_review", 15),
    ("approved", 5),
    ("active", 25),
    ("rejected", 5),
    ("withdrawn", 5),
    ("closed", 5),
]

# The transitions that bring an application to its state: (kind, transition, from, to).
PATHS = {
    "scoping": [],
    "changes_requested": [("changes_requested", "request_changes", "scoping", "changes_requested")],
    "internal_review": [
        ("scoping_completed", "complete_scoping", "scoping", "internal_review"),
    ],
    "in_review": [
        ("scoping_completed", "complete_scoping", "scoping", "internal_review"),
        ("referred", "refer_to_panels", "internal_review", "in_review"),
    ],
    "approved": [
        ("scoping_completed", "complete_scoping", "scoping", "internal_review"),
        ("referred", "refer_to_panels", "internal_review", "in_review"),
        ("approved", "combine", "in_review", "approved"),
    ],
    "active": [
        ("scoping_completed", "complete_scoping", "scoping", "internal_review"),
        ("referred", "refer_to_panels", "internal_review", "in_review"),
        ("approved", "combine", "in_review", "approved"),
        ("access_granted", "grant_access", "approved", "active"),
    ],
    "rejected": [
        ("scoping_completed", "complete_scoping", "scoping", "internal_review"),
        ("rejected", "reject", "internal_review", "rejected"),
    ],
    "withdrawn": [("withdrawn", "withdraw", "scoping", "withdrawn")],
    "closed": [
        ("scoping_completed", "complete_scoping", "scoping", "internal_review"),
        ("referred", "refer_to_panels", "internal_review", "in_review"),
        ("approved", "combine", "in_review", "approved"),
        ("access_granted", "grant_access", "approved", "active"),
        ("closed", "close", "active", "closed"),
    ],
}


def load_people(sql, applications: int, events_each: int = 10) -> dict:
    """Replace every application with ``applications`` in realistic shapes (see the module's
    docstring). ``sql`` runs a statement in the bench's database. Returns what was loaded."""
    started = time.perf_counter()
    researchers_wanted = max(applications // 5, 100)
    sql("SET tre.allow_audit_truncate = on")
    sql(
        "TRUNCATE workflow_application, workflow_event, notifications_notification, "
        "notifications_digestrun RESTART IDENTITY CASCADE"
    )
    # People: researchers in every organisation, twenty analysts.
    orgs = [r[0] for r in sql("SELECT id FROM access_organisation ORDER BY id")]
    # Added once, kept for the next size (sessions and tokens refer to them).
    have = sql("SELECT count(*) FROM access_user WHERE username LIKE 'bench.researcher%%'")[0][0]
    sql(
        """
        INSERT INTO access_user (password, is_superuser, username, email, is_staff, is_active,
            date_joined, full_name, affiliation_id, orcid, orcid_verified, origin)
        SELECT '!', false, 'bench.researcher' || i, 'bench' || i || '@uni.example', false, true,
            now(), 'Bench Researcher ' || i, (%(orgs)s::bigint[])[1 + i %% %(n_orgs)s], '',
            false, 'admin'
        FROM generate_series(%(first)s::int, %(n)s::int) AS i
        """,
        {"orgs": orgs, "n_orgs": len(orgs), "first": have + 1, "n": researchers_wanted},
    )
    sql(
        """
        INSERT INTO access_user (password, is_superuser, username, email, is_staff, is_active,
            date_joined, full_name, orcid, orcid_verified, origin)
        SELECT '!', false, 'bench.analyst' || i, 'analyst' || i || '@tre.example', false, true,
            now(), 'Bench Analyst ' || i, '', false, 'admin'
        FROM generate_series(1, 18) AS i
        WHERE NOT EXISTS (SELECT 1 FROM access_user WHERE username = 'bench.analyst' || i)
        """
    )
    sql(
        "INSERT INTO access_roleassignment (user_id, role, granted_at) SELECT u.id, "
        "CASE WHEN u.username LIKE 'bench.analyst%%' THEN 'analyst' ELSE 'researcher' END, now() "
        "FROM access_user u WHERE u.username LIKE 'bench.%%' AND NOT EXISTS "
        "(SELECT 1 FROM access_roleassignment r WHERE r.user_id = u.id)"
    )
    researchers = [
        r[0]
        for r in sql(
            "SELECT id FROM access_user WHERE username LIKE 'bench.researcher%%' "
            "ORDER BY id LIMIT %s",
            [researchers_wanted],
        )
    ]
    analysts = [
        r[0]
        for r in sql(
            "SELECT u.id FROM access_user u JOIN access_roleassignment r ON r.user_id = u.id "
            "WHERE r.role = 'analyst' ORDER BY u.id"
        )
    ]
    states: list[str] = []
    for state, share in STATES:
        states += [state] * share
    sql(
        """
        INSERT INTO workflow_application (id, reference, title, lay_summary, research_question,
            public_benefit, purpose, route, start_date, end_date, funder, state,
            changes_requested_from, current_version, created_at, updated_at, submitted_at,
            analyst_id, created_by_id, lead_organisation_id)
        SELECT i, 'BENCH-' || i, 'Synthetic project ' || i, 'A synthetic lay summary.',
            'A synthetic question?', 'Synthetic benefit.', 'public_policy', 'standard',
            DATE '2027-01-01', DATE '2028-12-31', '', s.state,
            CASE WHEN s.state = 'changes_requested' THEN 'scoping' ELSE '' END, 1,
            s.t, s.t, s.t + interval '1 minute',
            (%(analysts)s::bigint[])[1 + i %% %(n_analysts)s],
            (%(researchers)s::bigint[])[1 + i %% %(n_researchers)s],
            (SELECT affiliation_id FROM access_user
             WHERE id = (%(researchers)s::bigint[])[1 + i %% %(n_researchers)s])
        FROM (
            SELECT i, (%(states)s::text[])[1 + i %% 100] AS state,
                now() - interval '1 day' * (i %% 700) - interval '3 hours' AS t
            FROM generate_series(1, %(n)s) AS i
        ) AS s
        """,
        {
            "analysts": analysts,
            "n_analysts": len(analysts),
            "researchers": researchers,
            "n_researchers": len(researchers),
            "states": states,
            "n": applications,
        },
    )
    sql("SELECT setval(pg_get_serial_sequence('workflow_application', 'id'), %s)", [applications])
    # The team: the PI and two colleagues.
    sql(
        """
        INSERT INTO workflow_applicationmember (project_role, application_id, user_id)
        SELECT 'principal_investigator', id, created_by_id FROM workflow_application
        UNION ALL
        SELECT 'co_investigator', a.id, (%(r)s::bigint[])[1 + (a.id * 7 + k) %% %(n)s]
        FROM workflow_application a CROSS JOIN generate_series(1, 2) k
        WHERE (%(r)s::bigint[])[1 + (a.id * 7 + k) %% %(n)s] <> a.created_by_id
        """,
        {"r": researchers, "n": len(researchers)},
    )
    # Events: created, submitted, then the path to the state, then filler; an hour apart.
    values = []
    for state, steps in PATHS.items():
        for n, (kind, transition, frm, to) in enumerate(steps, start=2):
            values.append(f"('{state}', {n}, '{kind}', '{transition}', '{frm}', '{to}')")
    sql(
        f"""
        INSERT INTO workflow_event (kind, actor_name, actor_role, transition, from_state,
            to_state, reason, payload, version, created_at, actor_id, application_id)
        SELECT e.kind, 'Bench', 'researcher', e.transition, e.frm, e.to_, '', '{{}}'::jsonb, 1,
            a.created_at + interval '1 hour' * e.n * (1 + a.id %% 9), a.created_by_id, a.id
        FROM workflow_application a
        JOIN (
            SELECT a2.id AS app, 0 AS n, 'created' AS kind, '' AS transition, '' AS frm,
                'draft' AS to_ FROM workflow_application a2
            UNION ALL
            SELECT a2.id, 1, 'submitted', 'submit', 'draft', 'scoping' FROM workflow_application a2
            UNION ALL
            SELECT a2.id, p.n, p.kind, p.transition, p.frm, p.to_
            FROM workflow_application a2
            JOIN (VALUES {", ".join(values)}) AS p(state, n, kind, transition, frm, to_)
              ON p.state = a2.state
        ) e ON e.app = a.id
        ORDER BY a.id, e.n
        """  # noqa: S608 - the values are this module's constants
    )
    sql(
        """
        INSERT INTO workflow_event (kind, actor_name, actor_role, transition, from_state,
            to_state, reason, payload, version, created_at, actor_id, application_id)
        SELECT CASE WHEN k %% 2 = 0 THEN 'edited' ELSE 'scoping_updated' END, 'Bench',
            'researcher', '', '', '', '', '{"fields": ["lay_summary"]}'::jsonb, 1,
            a.created_at + interval '1 minute' * k, a.created_by_id, a.id
        FROM workflow_application a CROSS JOIN generate_series(1, %s) k
        """,
        [max(events_each - 4, 1)],
    )
    # The reviewers' rule, kept with the event (``Application.reached_review``).
    sql(
        "UPDATE workflow_application SET reached_review = true WHERE id IN "
        "(SELECT application_id FROM workflow_event WHERE kind = 'scoping_completed')"
    )
    # One or two requested datasets each.
    datasets = [r[0] for r in sql("SELECT id FROM catalogue_dataset ORDER BY id")]
    sql(
        """
        INSERT INTO workflow_requesteddataset (legal_gateway, justification, application_id,
            dataset_id)
        SELECT 'consent', 'Synthetic.', a.id, (%(d)s::bigint[])[1 + (a.id + k) %% %(n)s]
        FROM workflow_application a CROSS JOIN generate_series(0, 1) k
        WHERE k = 0 OR a.id %% 2 = 0
        """,
        {"d": datasets, "n": len(datasets)},
    )
    # Fresh statistics first: with none, PostgreSQL read each application's first requested
    # dataset by walking the whole table in id order (15,000 times, minutes at 100,000).
    sql("ANALYZE workflow_application, workflow_requesteddataset")
    # Open tracks for applications in review: the IGRP's, and the first dataset's owner's.
    igrp = sql("SELECT id FROM workflow_panel ORDER BY id LIMIT 1")[0][0]
    sql(
        """
        INSERT INTO workflow_reviewtrack (kind, state, round, superseded, version, opened_at,
            due_date, outcome, rationale, conditions, application_id, organisation_id,
            automatic, panel_id)
        SELECT 'igrp', 'open', 1, false, 1, a.updated_at, (a.updated_at + interval '19 days')::date,
            '', '', '[]'::jsonb, a.id, NULL, false, %s
        FROM workflow_application a WHERE a.state = 'in_review'
        UNION ALL
        SELECT 'owner_signoff', 'open', 1, false, 1, a.updated_at,
            (a.updated_at + interval '15 days')::date, '', '', '[]'::jsonb, a.id, d.provider_id,
            false, NULL
        FROM workflow_application a
        JOIN LATERAL (SELECT ds.provider_id FROM workflow_requesteddataset rd
            JOIN catalogue_dataset ds ON ds.id = rd.dataset_id
            WHERE rd.application_id = a.id ORDER BY rd.id LIMIT 1) d ON true
        WHERE a.state = 'in_review'
        """,
        [igrp],
    )
    # Notifications: four to the PI, two to the analyst.
    sql(
        """
        INSERT INTO notifications_notification (email_status, email_attempts, last_error, kind,
            subject, body, url, about, created_at, recipient_id)
        SELECT 'sent', 1, '', 'application.submitted', 'Synthetic ' || a.reference,
            'A synthetic notification.', '/applications/' || a.id || '/',
            'application:' || a.id, a.created_at + interval '1 minute' * k,
            CASE WHEN k <= 4 THEN a.created_by_id ELSE a.analyst_id END
        FROM workflow_application a CROSS JOIN generate_series(1, 6) k
        """
    )
    # The register: every decided project (approved, active, closed, rejected).
    sql(
        """
        INSERT INTO workflow_registerentry (reference, organisation, organisation_slug, status,
            latest_decision_on, organisation_ror, organisation_sector, applicants,
            lead_applicant_dea_accredited, title, lay_summary, public_benefit, purpose, funders,
            other_approvals, start_date, end_date, latest_approval_on, access_granted_on,
            closed_on, datasets, dataset_keys, sensitivity, access_type, processing_environment,
            conditions, panel_decisions, csv_cells, csv_format, updated_at, application_id)
        SELECT a.reference, o.name, o.slug,
            CASE a.state WHEN 'rejected' THEN 'declined' WHEN 'closed' THEN 'closed'
                WHEN 'active' THEN 'active' ELSE 'approved' END,
            a.updated_at::date, '', 'Academic', '["Bench Researcher"]'::jsonb, true, a.title,
            a.lay_summary, a.public_benefit, a.purpose, '', '[]'::jsonb, a.start_date,
            a.end_date, a.updated_at::date, NULL, NULL,
            '[{"slug": "s", "title": "A dataset", "provider": "A provider",
               "sensitivity": "pseudonymised", "legal_gateway": "consent"}]'::jsonb,
            ',s,', 'pseudonymised', 'TRE', 'SAIL Databank', '[]'::jsonb, '[]'::jsonb,
            -- No CSV cells: the first download writes them (as for entries from before them).
            '', '', now(), a.id
        FROM workflow_application a JOIN access_organisation o ON o.id = a.lead_organisation_id
        WHERE a.state IN ('approved', 'active', 'closed', 'rejected')
        """
    )
    from workflow.turnaround.visits import rebuild_stage_visits

    rebuild_stage_visits()
    sql("VACUUM ANALYZE")
    got = {
        "applications": sql("SELECT count(*) FROM workflow_application")[0][0],
        "events": sql("SELECT count(*) FROM workflow_event")[0][0],
        "members": sql("SELECT count(*) FROM workflow_applicationmember")[0][0],
        "users": sql("SELECT count(*) FROM access_user")[0][0],
        "notifications": sql("SELECT count(*) FROM notifications_notification")[0][0],
        "register": sql("SELECT count(*) FROM workflow_registerentry")[0][0],
        "tracks": sql("SELECT count(*) FROM workflow_reviewtrack")[0][0],
        "visits": sql("SELECT count(*) FROM workflow_stage_visit")[0][0],
        "load_seconds": time.perf_counter() - started,
    }
    return got


def _rss() -> tuple[int, int]:
    """(resident, peak resident) of this process, MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) // 1024
    return fields["VmRSS"], fields["VmHWM"]


def _timed(client, path: str, headers: dict, runs: int) -> tuple[list[float], int, int, int]:
    """(milliseconds of each run, queries of the last, status, bytes)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = status = size = 0
    for n in range(runs):
        started = time.perf_counter()
        if n == runs - 1:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path, **headers)
                body = b"".join(response) if response.streaming else response.content
            queries = len(captured)
        else:
            response = client.get(path, **headers)
            body = b"".join(response) if response.streaming else response.content
        times.append((time.perf_counter() - started) * 1000)
        status, size = response.status_code, len(body)
    return times, queries, status, size


def people() -> tuple[dict[str, str], int]:
    """Who each role is (a username; "" for the public) and the application in review whose
    overview they open."""
    from access.models import User
    from workflow.models import Application

    app_id, pi = (
        Application.objects.filter(state="in_review")
        .order_by("id")
        .values_list("id", "created_by__username")[0]
    )
    analyst = (
        User.objects.filter(username__startswith="bench.analyst").order_by("id").first().username
    )
    return {
        "ops": "owain.ops",
        "analyst": analyst,
        "reviewer": "gwen.reviewer",
        "panel member": "elin.panel",
        "data owner": "carys.dhcw",
        "researcher": pi,
        "public": "",
    }, app_id


def cases(app_id: int) -> list[tuple[str, str, str, dict]]:
    """(role, what, path, headers) of every row measured."""
    json_headers = {"HTTP_ACCEPT": "application/json"}
    return [
        ("ops", "landing `/ops/`", "/ops/", {}),
        ("ops", "Turnaround `/ops/turnaround/`", "/ops/turnaround/", {}),
        ("analyst", "queue `/scoping/`", "/scoping/", {}),
        ("reviewer", "queue `/reviews/internal/`", "/reviews/internal/", {}),
        ("panel member", "queue `/reviews/panels/`", "/reviews/panels/", {}),
        ("data owner", "queue `/owner/sign-off/`", "/owner/sign-off/", {}),
        ("researcher", "My applications", "/applications/", {}),
        ("ops", "overview", f"/applications/{app_id}/", {}),
        ("researcher", "overview", f"/applications/{app_id}/", {}),
        ("reviewer", "overview", f"/applications/{app_id}/", {}),
        ("public", "how to get access", "/how-to-get-access/", {}),
        ("public", "register page", "/register/", {}),
        ("public", "`register.csv`", "/api/v1/register.csv", {}),
    ] + [
        (role, "API list", "/api/v1/applications/", json_headers)
        for role in ("ops", "analyst", "reviewer", "panel member", "data owner", "researcher")
    ]


def measure_people(token_for, runs: int = 15) -> list[dict]:
    """Every page and list of every role at the loaded size (see the module's docstring)."""
    from django.test import Client

    from access.models import User

    def signed_in(username: str) -> Client:
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        return client

    usernames, app_id = people()
    roles = {role: signed_in(username) for role, username in usernames.items()}
    floor_token = token_for("owain.ops")
    floor_client = Client()
    floor_headers = {"HTTP_AUTHORIZATION": f"Token {floor_token}"}
    rows = []
    for role, what, path, headers in cases(app_id):
        client = roles[role]
        client.get(path, **headers)  # warm: imports, templates, connections
        floor, _, _, _ = _timed(floor_client, "/api/v1/bench/floor/", floor_headers, runs)
        first = time.perf_counter()
        client.get(path, **headers)
        n = runs if time.perf_counter() - first < 1.0 else 3
        times, queries, status, size = _timed(client, path, headers, n)
        resident, peak = _rss()
        times.sort()
        median = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        floor_median = statistics.median(floor)
        rows.append(
            {
                "role": role,
                "what": what,
                "path": path,
                "status": status,
                "bytes": size,
                "median": median,
                "p95": p95,
                "queries": queries,
                "floor": floor_median,
                "ratio": median / floor_median,
                "p95_ratio": p95 / floor_median,
                "rss": resident,
                "peak": peak,
                "runs": n,
            }
        )
        print(
            f"  {role:12} {what:32} {median:8.1f} ms p95 {p95:8.1f} q {queries:3} "
            f"{status} ×{median / floor_median:.1f}",
            flush=True,
        )
    return rows


def report(
    sizes: dict[int, dict],
    results: dict[int, list[dict]],
    sweeps: list[dict],
    load: tuple[float, ...] = (),
) -> list[str]:
    """The section of docs/benchmarks.md: one table per size, growth between them. ``load``:
    the load averages (1, 5, 15 minutes) when the section started and when it ended."""
    import datetime
    import os

    lines = [
        "## What people use: pages, queues and lists of every role",
        "",
        "Written by `scripts/bench_people.py` (see its docstring for the shapes loaded). In this",
        "process through Django's test client, one request at a time; the floor",
        "(`/api/v1/bench/floor/`) is measured just before each row, and each ratio is against",
        "it. Memory is a gunicorn worker's (production settings, one sync worker, never",
        "recycled, the same requests over HTTP after the timings): its resident set after the",
        "row's requests, and its peak so far in brackets (`VmHWM`).",
        "Targets: a page's median ≤ 10× the floor and p95 ≤ 20×; an API read ≤ 2× (the",
        "API list); growth from the small to the large size within 1.2×.",
        "",
        f"- run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on "
        f"{os.cpu_count()} cores"
        + (
            f"; load average (1, 5, 15 min) at the start {load[0]:.2f}, {load[1]:.2f}, "
            f"{load[2]:.2f} and at the end {load[3]:.2f}, {load[4]:.2f}, {load[5]:.2f}"
            + (
                " (above the number of cores: other work shared the machine, and every figure "
                "carries it; read the ratios to the floor of the same moment)"
                if max(load) > (os.cpu_count() or 1)
                else " (below the number of cores: the bench's own processes, nothing else)"
            )
            if len(load) == 6
            else ""
        ),
        "",
    ]
    for size, loaded in sizes.items():
        lines += [
            f"### {size:,} applications",
            "",
            ", ".join(f"{k}: {v:,.0f}" for k, v in loaded.items()),
            "",
            "| as | what | status | median ms | p95 ms | queries | floor ms | median ÷ floor "
            "| p95 ÷ floor | worker MiB (peak) | target |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in results[size]:
            api = r["path"].startswith("/api/v1/applications")
            ok = r["ratio"] <= 2 if api else (r["ratio"] <= 10 and r["p95_ratio"] <= 20)
            lines.append(
                f"| {r['role']} | {r['what']} | {r['status']} | {r['median']:.1f} | "
                f"{r['p95']:.1f} | {r['queries']} | {r['floor']:.2f} | {r['ratio']:.1f}× | "
                f"{r['p95_ratio']:.1f}× | {r.get('worker_rss', '–')} "
                f"({r.get('worker_peak', '–')}) | "
                f"{'≤ 2×' if api else '≤ 10×, ≤ 20×'}: {'met' if ok else '**missed**'} |"
            )
        lines.append("")
    if len(results) > 1:
        small, large = sorted(results)
        lines += [
            f"### Growth from {small:,} to {large:,} applications",
            "",
            "| as | what | median ratio there ÷ here | queries | worker MiB after | target 1.2× |",
            "|---|---|---:|---|---|---|",
        ]
        for a, b in zip(results[small], results[large], strict=True):
            growth = b["ratio"] / a["ratio"]
            lines.append(
                f"| {a['role']} | {a['what']} | {growth:.2f}× | {a['queries']} → {b['queries']} "
                f"| {a.get('worker_rss', '–')} → {b.get('worker_rss', '–')} "
                f"| {'met' if growth <= 1.2 else '**missed**'} |"
            )
        peaks = [
            (size, max((r.get("worker_peak", 0) for r in results[size]), default=0))
            for size in (small, large)
        ]
        lines += [
            "",
            f"A worker's peak resident memory: {peaks[0][1]} MiB at {small:,} applications, "
            f"{peaks[1][1]} MiB at {large:,} (target: flat, within 20%: "
            f"{'met' if peaks[0][1] and peaks[1][1] <= 1.2 * peaks[0][1] else '**missed**'}).",
        ]
        lines.append("")
    if sweeps:
        lines += [
            "### The reminder sweep with a backlog due",
            "",
            "| open applications | due | seconds | queries | reminders raised | MiB "
            "| target < 5 s |",
            "|---:|---:|---:|---:|---:|---:|---|",
        ]
        for s in sweeps:
            lines.append(
                f"| {s['applications']:,} | {s['due']:,} | {s['seconds']:.2f} | {s['queries']} | "
                f"{s['raised']:,} | {s['maxrss_mib']:.0f} | "
                f"{'met' if s['seconds'] < 5 else '**missed**'} |"
            )
        lines.append("")
    return lines
