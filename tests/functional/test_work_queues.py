"""The staff work queues in the browser, each checked with axe: filters, counts per stage and
pagination, and the table fitting a 375 px screen (issue 24)."""

from __future__ import annotations

import pytest

from tests.functional.builders import plasc_application, to_internal_review


@pytest.mark.timeout(300)
def test_the_queues_filter_page_and_fit_a_small_screen(demo, visitor):
    waiting = to_internal_review(plasc_application(demo, title="Queues in the browser"))

    ops = visitor()
    ops.login("owain.ops")
    ops.visit("/ops/")
    assert waiting.reference in ops.text()
    ops.fill("Reference or title", "Queues in the browser")
    ops.click("Filter")
    assert waiting.reference in ops.text()
    assert "1 in all" in ops.text()
    ops.link("Internal review")
    assert "stage=internal_review" in ops.page.url
    assert waiting.reference in ops.text()

    gwen = visitor()
    gwen.login("gwen.reviewer")
    gwen.visit("/reviews/internal/")  # checked at 375 px too, as every page visited
    gwen.page.set_viewport_size({"width": 375, "height": 800})
    assert waiting.reference in gwen.text()
    # Nothing wider than the screen: each row stacks, its cells led by their column's name.
    width = gwen.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375
    assert gwen.page.locator("td[data-label='Due']").first.is_visible()
