"""Measure the forecast: replay the TRE's own history (``workflow.turnaround.accuracy``).

``manage.py forecast_accuracy`` forecasts, at past moments, every application then open from
what was known then, compares each forecast and the two naive baselines with the day access
came, prints the mean absolute error and the bias by horizon and how often the 80% range held,
and keeps the report for the Turnaround page (``--dry-run`` to only print it).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from workflow.turnaround.accuracy import replay
from workflow.turnaround.forecast import DRAWS
from workflow.turnaround.services import forecast_replay_record


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = "Replay the TRE's history to measure the forecast against two naive baselines."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=int, default=7, help="Days between moments (7)")
        parser.add_argument("--from", dest="start", type=_day, help="First moment (a date)")
        parser.add_argument("--to", dest="end", type=_day, help="Last moment (default today)")
        parser.add_argument("--draws", type=int, default=DRAWS, help="Simulations per forecast")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON")
        parser.add_argument("--dry-run", action="store_true", help="Do not keep the report")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["every"] < 1 or options["draws"] < 10:
            raise CommandError("--every must be at least 1 and --draws at least 10.")
        report = replay(
            every_days=options["every"],
            start=options["start"],
            end=options["end"],
            draws=options["draws"],
        )
        if not options["dry_run"]:
            forecast_replay_record(report=json.loads(json.dumps(report, cls=DjangoJSONEncoder)))
        if options["json"]:
            self.stdout.write(json.dumps(report, cls=DjangoJSONEncoder, indent=2))
            return
        self.stdout.write(
            f"Forecast replay: {report['cases']} forecasts of {report['applications']} "
            f"applications at {report['moments']} moments from {report['from']} to "
            f"{report['to']} (every {report['every_days']} days); "
            f"{report['never_reached_access']} open then never reached access (not scored)."
        )
        self.stdout.write(
            f"{'horizon':<10}{'cases':>6}  {'forecast MAE/bias':>18}  {'median so far':>14}  "
            f"{'3 months':>12}  {'80% range held':>14}"
        )
        for row in report["horizons"]:
            cells = [
                f"{row[k]['mae']}/{row[k]['bias']:+}" if row[k]["mae"] is not None else "-"
                for k in ("forecast", "median_so_far", "three_months")
            ]
            held = "-" if row["range_coverage"] is None else f"{row['range_coverage']:.0%}"
            self.stdout.write(
                f"{row['horizon']:<10}{row['cases']:>6}  {cells[0]:>18}  {cells[1]:>14}  "
                f"{cells[2]:>12}  {held:>14}"
            )
