"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Every page a test reaches is checked with axe-core at 1280 and at 375 pixels wide (a violation
of any impact fails the test with a readable report, best-practice rules included) and
photographed into test-artifacts/screenshots/ at both widths.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from workflow.management.demo_data import DEMO_PASSWORD

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls (setting
# up data) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE.read_text() if AXE.exists() else ""
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Every violation fails, whatever its impact: minor and moderate ones included.
FAILING_IMPACTS = {"minor", "moderate", "serious", "critical"}
# A desktop and the narrowest common phone.
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 375, "height": 812}

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/functional/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# One id for the whole run: xdist gives its workers the same one; a run in one process makes its
# own when this module is imported.
RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex


def _empty_screenshots_once_per_run() -> None:
    """Each run's screenshots replace the last run's. Under pytest-xdist every worker starts a
    browser of its own: the first to get here empties the folder and writes the run's id in it,
    the others (holding the same lock in turn) find their run's id and leave the folder as it
    is, with the first worker's screenshots in it."""
    SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
    marker = SCREENSHOTS / ".run"
    with (SCREENSHOTS.parent / ".screenshots.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not marker.exists() or marker.read_text() != RUN_ID:
            shutil.rmtree(SCREENSHOTS, ignore_errors=True)
            SCREENSHOTS.mkdir()
            marker.write_text(RUN_ID)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():  # pragma: no cover - make test installs it
        pytest.fail("Chromium is not installed: run `make test` (it installs it) or apt-get it")
    if not AXE.exists():  # pragma: no cover - make test installs it
        pytest.fail("axe-core is missing: run `make assets`")
    _empty_screenshots_once_per_run()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


class AccessibilityViolation(AssertionError):
    pass


class Visitor:
    """One person in one browser context: visits pages, fills and submits forms, and checks
    every page it lands on."""

    def __init__(self, browser, base_url: str, test_name: str, *, javascript: bool = True):
        self.context = browser.new_context(
            java_script_enabled=javascript, locale="en-GB", viewport=WIDE
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        # The content security policy must not block anything of our own: every violation the
        # browser reports fails the page it happened on.
        self.csp_violations: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                self.csp_violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        self.base_url = base_url
        self.test_name = test_name
        self.javascript = javascript
        self.counter = 0

    # --- moving around -------------------------------------------------------------------
    def visit(self, path: str, *, status: int | None = 200):
        response = self.page.goto(self.base_url + path)
        if status is not None:
            assert response is not None, path
            assert response.status == status, f"{path}: expected {status}, got {response.status}"
        self.check()
        return response

    def click(self, name: str, *, role: str = "button", exact: bool = False):
        """Click a button or link and wait for the page (or the HTMX swap) it leads to."""
        target = self.page.get_by_role(role, name=name, exact=exact)
        if role == "link":
            # A link styled as a button (role="button") is still a link to follow.
            target = target.or_(self.page.get_by_role("button", name=name, exact=exact))
        target.first.click()
        self.page.wait_for_load_state()
        if self.javascript:
            self.page.wait_for_function(
                "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
            )
        self.check()

    def link(self, name: str, *, exact: bool = False):
        self.click(name, role="link", exact=exact)

    def fill(self, label: str, value: str, *, exact: bool = False):
        self.page.get_by_label(label, exact=exact).first.fill(value)

    def choose(self, label: str, *, exact: bool = True):
        self.page.get_by_label(label, exact=exact).first.check()

    def fill_date(self, legend: str, iso: str):
        """Fill the GOV.UK date input (day, month and year boxes) named by its legend."""
        year, month, day = iso.split("-")
        group = self.page.get_by_role("group", name=legend, exact=True).first
        group.get_by_label("Day", exact=True).fill(str(int(day)))
        group.get_by_label("Month", exact=True).fill(str(int(month)))
        group.get_by_label("Year", exact=True).fill(year)

    def select(self, label: str, option: str):
        self.page.get_by_label(label, exact=True).select_option(label=option)

    def login(self, username: str, password: str = DEMO_PASSWORD):
        self.visit("/login/")
        self.fill("Username or email address", username)
        self.fill("Password", password)
        self.click("Sign in", exact=True)  # not "Sign in with <provider>"
        assert "/login/" not in self.page.url, f"could not sign in as {username}"

    # --- what is on the page -------------------------------------------------------------
    def text(self) -> str:
        return self.page.inner_text("main")

    def banner(self) -> str:
        return " ".join(
            self.page.locator(".govuk-notification-banner, .govuk-error-summary").all_inner_texts()
        )

    def error_summary(self) -> list[str]:
        return self.page.locator(".govuk-error-summary__list li").all_inner_texts()

    # --- the checks on every page --------------------------------------------------------
    def check(self):
        """Photograph the page and check it with axe, at 1280 and at 375 pixels wide, and
        check that it neither scrolls sideways (on a phone or a desktop) nor broke the content
        policy."""
        self.counter += 1
        title = self.page.title()
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "page"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, size in (("1280", WIDE), ("375", NARROW)):
            self.page.set_viewport_size(size)
            self.page.screenshot(
                path=str(SCREENSHOTS / f"{self.test_name}-{self.counter:02d}-{slug}-{width}.png"),
                full_page=True,
            )
            if self.javascript:
                self.axe(f"{title} at {width} px")
            self.fits_the_screen(title, width)
        self.page.set_viewport_size(WIDE)
        violations, self.csp_violations[:] = list(self.csp_violations), []
        assert not violations, f"Content Security Policy violations on {title!r}: {violations}"

    def fits_the_screen(self, title: str, width: str):
        """At 1280 and at 375 pixels nothing makes the page scroll sideways (a wide table
        scrolls inside its own box at most; a long unbroken value wraps). The staff work queues
        included: their rows stack too."""
        path = self.page.url.removeprefix(self.base_url).split("?")[0]
        overflow = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{title!r} ({path}) scrolls sideways by {overflow} px at {width} px"

    def axe(self, title: str):
        # Evaluated through the DevTools protocol rather than added as an inline <script>: the
        # pages' policy (script-src 'self') rightly refuses inline scripts, a test's included.
        if not self.page.evaluate("() => typeof axe !== 'undefined'"):
            self.page.evaluate(AXE_SOURCE)
        result = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        failing = [v for v in result["violations"] if v.get("impact") in FAILING_IMPACTS]
        if failing:
            lines = [f"axe-core: {len(failing)} violation(s) on {title!r}:"]
            for v in failing:
                lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
                for node in v["nodes"][:5]:
                    lines.append(f"      {node['target']}: {node['failureSummary']!r}")
            raise AccessibilityViolation("\n".join(lines))

    def close(self):
        self.context.close()


@pytest.fixture
def demo(transactional_db):
    """The demo TRE (people, catalogue, panels, categories), as `make run` loads it."""
    call_command("load_demo", stdout=StringIO())
    from access.models import User

    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def visitor(browser, live_server, request):
    """``visitor()`` opens a fresh browser context (one person); closed after the test."""
    opened: list[Visitor] = []
    test_name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")

    def make(*, javascript: bool = True) -> Visitor:
        v = Visitor(
            browser, live_server.url, f"{test_name}-{len(opened) + 1}", javascript=javascript
        )
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()
