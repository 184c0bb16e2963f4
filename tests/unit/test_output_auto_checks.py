"""The automatic checks of an output: small cells, zeros and dominance in a CSV table, and an
honest "cannot check" for everything else. They inform the checkers; they decide nothing."""

from __future__ import annotations

import pytest

from workflow.output_checks.checks import check_file


@pytest.fixture(autouse=True)
def minimum(settings):
    settings.DISCLOSURE_MIN_CELL_COUNT = 10


def rules(result) -> list[tuple[str, int, str]]:
    return [(f["rule"], f["row"], f["column"]) for f in result["findings"]]


def test_a_frequency_table_with_a_small_cell_fails_the_threshold_rule():
    result = check_file(b"age,male,female\n18-30,25,3\n31-50,40,0\n", "text/csv")
    assert result["outcome"] == "fail"
    assert rules(result) == [("threshold", 1, "female"), ("zero", 2, "female")]
    assert result["kind"] == "frequency"


def test_a_table_whose_counts_are_all_large_enough_passes():
    result = check_file(b"region,count\nNorth,120\nSouth,95\n", "text/csv")
    assert result == {**result, "outcome": "pass", "findings": []}


def test_a_magnitude_table_with_counts_is_checked_for_dominance_and_threshold():
    table = (
        b"industry,count,total,largest,second_largest\n"
        b"Mining,12,1000,600,100\n"  # the largest is 60% of the total: N=1 rule
        b"Retail,30,1000,450,460\n"  # the two largest are 91%: N=2 rule
        b"Farming,4,1000,100,100\n"  # too few contributors
        b"Services,50,1000,200,150\n"
    )
    result = check_file(table, "text/csv")
    assert result["kind"] == "magnitude"
    assert rules(result) == [
        ("dominance", 1, "total"),
        ("dominance", 2, "total"),
        ("threshold", 3, "count"),
    ]
    assert result["outcome"] == "fail"


@pytest.mark.parametrize("content_type", ["image/png", "application/pdf", "text/plain"])
def test_figures_and_text_cannot_be_checked_automatically(content_type):
    result = check_file(b"anything", content_type)
    assert result["checkable"] is False
    assert result["outcome"] == "review"


def test_a_table_without_data_rows_is_left_to_the_checkers():
    assert check_file(b"a,b\n", "text/csv")["checkable"] is False
