"""Charts for the ops dashboard, drawn on the server as inline SVG: no JavaScript library.

Presentation only: the figures come from ``workflow.services.metrics``; this turns them into
the geometry of horizontal bar charts. Every chart carries a title, a sentence summarising it
(the SVG's description) and the same data as a table, so it reads without the picture.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from core.text import in_sentence

# Each bar has its label on a line of its own above it, so that the chart stays narrow enough
# to read on a phone: at 375 pixels wide the text is drawn at about 80% of its size, not 50%.
LABEL_WIDTH = 0
BAR_AREA = 300
# Room after the longest bar (or its target line) for its value ("7 applications").
WIDTH = BAR_AREA + 140
ROW = 50
LABEL_HEIGHT = 20
BAR = 18
TOP = 4


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str = ""  # what is written beside the bar (and in the table)
    marker: float | None = None  # e.g. the target
    extra: tuple[str, ...] = ()  # further table cells


@dataclass
class Chart:
    key: str
    title: str
    summary: str
    headers: tuple[str, ...]
    bars: list[Bar]
    marker_label: str = "Target"
    rows: list[dict] = field(default_factory=list)
    height: int = 0
    width: int = WIDTH

    def layout(self) -> Chart:
        values = [b.value or 0 for b in self.bars] + [b.marker or 0 for b in self.bars]
        top = max(values) if values and max(values) > 0 else 1
        scale = BAR_AREA / top
        self.rows = []
        for i, bar in enumerate(self.bars):
            y = TOP + i * ROW + LABEL_HEIGHT
            length = round((bar.value or 0) * scale, 1)
            marker_x = (
                round(LABEL_WIDTH + bar.marker * scale, 1) if bar.marker is not None else None
            )
            # The value is written after the bar and after its target line, never across it.
            end = max(LABEL_WIDTH + length, marker_x or 0)
            self.rows.append(
                {
                    "bar": bar,
                    "y": y,
                    "text_y": y + BAR - 4,
                    "bar_x": LABEL_WIDTH,
                    "bar_width": length,
                    "value_x": round(end + 8, 1),
                    "marker_x": marker_x,
                    "marker_top": y - 3,
                    "marker_bottom": y + BAR + 3,
                    "label_x": 0,
                    "label_y": y - 6,
                }
            )
        self.height = TOP * 2 + ROW * max(len(self.bars), 1)
        return self


def _days(value: float | None) -> str:
    """Whole days, as every other figure on the page ("under 1 day" rather than "0.0 days")."""
    if value is None:
        return "no data"
    if value < 1:
        return "under 1 day"
    return "1 day" if round(value) == 1 else f"{value:.0f} days"


def distribution(journeys: list[dict], *, width: int = 15) -> Chart:
    """How many applications reached access within each band of ``width`` days."""
    days = [j["days"] for j in journeys if j["days"] is not None]
    bands = Counter(int(d // width) for d in days)
    top = max(bands) if bands else 0
    bars = [
        Bar(
            f"{b * width} to {(b + 1) * width} days",
            bands.get(b, 0),
            f"{bands.get(b, 0)} application{'s' if bands.get(b, 0) != 1 else ''}",
        )
        for b in range(top + 1)
    ]
    if days:
        summary = (
            f"{len(days)} applications got access. Half within {statistics.median(days):.0f} "
            f"days; the quickest took {min(days):.0f}, the slowest {max(days):.0f}."
        )
    else:
        summary = "No application got access in this period."
    return Chart(
        "distribution",
        "Days from request to access",
        summary,
        ("Days from request to access", "Applications"),
        bars,
    ).layout()


def monthly_trend(journeys: list[dict], *, target: float) -> Chart:
    """The median request-to-access time of the applications that got access each month."""
    by_month: dict[str, list[float]] = {}
    for j in journeys:
        if j["days"] is not None:
            by_month.setdefault(j["access_on"].strftime("%Y-%m"), []).append(j["days"])
    bars = []
    months = sorted(by_month)
    # Every month from the first to the last, those with no access shown as such (a gap in
    # the trend is a finding, not something to hide).
    year, month = (int(months[0][:4]), int(months[0][5:])) if months else (0, 0)
    while months and f"{year:04d}-{month:02d}" <= months[-1]:
        key = f"{year:04d}-{month:02d}"
        label = f"{year} {_MONTHS[month - 1]}"
        values = by_month.get(key, [])
        if values:
            median = statistics.median(values)
            bars.append(Bar(label, median, _days(median), marker=target, extra=(str(len(values)),)))
        else:
            bars.append(Bar(label, None, "no access", marker=target, extra=("0",)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if bars:
        worst = max(bars, key=lambda b: b.value or 0)
        over = sum(1 for b in bars if (b.value or 0) > target)
        empty = sum(1 for b in bars if b.value is None)
        summary = (
            f"Median days from request to access, month by month, over {len(bars)} months; "
            f"{over} above the {target:.0f}-day target. Slowest: {worst.label} "
            f"({_days(worst.value)})."
            + (f" {empty} month{'s' if empty != 1 else ''} with no access." if empty else "")
        )
    else:
        summary = "No application got access in this period."
    return Chart(
        "trend",
        "Request to access, by month of access",
        summary,
        ("Month", "Median", "Applications"),
        bars,
    ).layout()


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def stages_against_targets(stages: list[dict], tracks: list[dict], labels: dict) -> Chart:
    """Each stage's median against its target, in the target's own unit."""
    bars = []
    for row in [*stages, *tracks]:
        target = row.get("target")
        if not target:
            continue
        working = target["unit"] == "working"
        median = row["median_working_days"] if working else row["median_days"]
        p90 = row["p90_working_days"] if working else row["p90_days"]
        unit = "working days" if working else "days"
        key: str = row.get("stage") or row.get("kind") or ""
        bars.append(
            Bar(
                labels.get(key, key),
                median,
                "no data" if median is None else f"{median:.0f} {unit}",
                marker=float(target["days"]),
                extra=(
                    "no data" if p90 is None else f"{p90:.0f} {unit}",
                    f"{target['days']} {unit}",
                    str(row.get("count", 0)),
                    str(row.get("breaches") or 0),
                ),
            )
        )
    over = [b.label for b in bars if b.value is not None and b.marker and b.value > b.marker]
    measured = [b for b in bars if b.value is not None]
    if not measured:
        summary = "No stage ended in this period, so there is nothing to compare with targets."
    elif over:
        summary = f"Median time in each stage against its target. Over target: {', '.join(over)}."
    else:
        summary = (
            "Median time in each stage against its target: every stage that ended in the "
            "period is within it."
        )
    return Chart(
        "stages",
        "Time in each stage against its target",
        summary,
        ("Stage", "Median", "90th percentile", "Target", "Completed", "Late"),
        bars,
    ).layout()


def work_in_progress(by_stage: list[dict], labels: dict) -> Chart:
    bars = [Bar(labels.get(r["state"], r["state"]), r["count"], str(r["count"])) for r in by_stage]
    total = sum(r["count"] for r in by_stage)
    busiest = max(by_stage, key=lambda r: r["count"]) if by_stage else None
    summary = f"{total} applications open." + (
        f" Most are in {in_sentence(labels.get(busiest['state'], busiest['state']))} "
        f"({busiest['count']})."
        if busiest and busiest["count"]
        else ""
    )
    return Chart(
        "wip", "Work in progress by stage", summary, ("Stage", "Open applications"), bars
    ).layout()


def panel_response(panels: list[dict], labels: dict) -> Chart:
    bars = []
    for p in panels:
        rate = p["within_target_rate"]
        bars.append(
            Bar(
                labels.get(p["panel"], p["panel"]),
                p["median_days"],
                _days(p["median_days"]),
                marker=float(p["target_days"]),
                extra=(
                    _days(p["mean_days"]),
                    f"{p['target_days']} days",
                    str(p["count"]),
                    "no data" if rate is None else f"{rate:.0%}",
                ),
            )
        )
    parts = [f"{b.label}: median {b.text}" for b in bars]
    target = panels[0]["target_days"] if panels else 19
    return Chart(
        "panels",
        f"Panel response against {target} days",
        "; ".join(parts) + f". Target {target} days (SAIL's average)." if parts else "No panels.",
        ("Panel", "Median", "Mean", "Target", "Decided", "By the due date"),
        bars,
    ).layout()
