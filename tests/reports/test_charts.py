"""The SVG chart kit, the load model, rep grouping and the HTML page on hand-built weeks."""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET

import pytest

from terskel.models import load_template
from terskel.reports import charts
from terskel.reports.load import FATIGUE_DAYS, FITNESS_DAYS, load_curve, session_load
from terskel.reports.outing import Rep, rep_groups
from terskel.reports.svg import TIME_STEPS, Chart, mss, ticks, value_range
from terskel.reports.weekly import build_trend, build_week
from terskel.reports.weekly_html import week_html
from terskel.reports.weekly_render import week_json
from tests.reports.helpers import WEEK, easy_zones, elite_week, run
from tests.reports.helpers import week_data as frames

ELITE = load_template("norwegian-elite")
SVG = "{http://www.w3.org/2000/svg}"


def _rep(n: int, seconds: float, metres: float, pace: float = 200.0) -> Rep:
    return Rep(n, 1, seconds, metres, pace, 170.0, None, 165.0, 170.0)


def test_ticks_are_round_and_pace_ticks_are_watch_times() -> None:
    assert ticks(0, 43) == [0, 20, 40] and ticks(0, 43, count=8) == [0, 10, 20, 30, 40]
    assert ticks(0, 1.9) == [0, 0.5, 1.0, 1.5]
    # 3:05-3:35 /km: ticks every 10 s, not every 7.5 s
    assert ticks(185, 215, steps=TIME_STEPS) == [190, 200, 210]
    assert mss(185) == "3:05" and mss(59.6) == "1:00"


def test_a_small_spread_does_not_fill_the_axis() -> None:
    lo, hi = value_range([200, 206], min_span=30)
    assert hi - lo >= 30 and lo < 200 and hi > 206
    assert value_range([3.0, 5.0], zero=True)[0] == 0.0


def test_a_chart_is_valid_svg_with_its_text() -> None:
    chart = Chart("Weekly volume", y_label="km", zero=True, categories=["W01", "W02"])
    svg = chart.bars([40.0, 55.5], "#123456", "km").legend([("km", "#123456")]).svg()
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[0] == "Weekly volume" and "W01" in texts and "km" in texts
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#123456"]
    heights = sorted(float(r.get("height") or 0) for r in bars if r.find(f"{SVG}title") is not None)
    assert heights[1] / heights[0] == pytest.approx(55.5 / 40.0, rel=0.02)


def test_reversed_pace_axis_puts_faster_higher() -> None:
    chart = Chart("pace", reverse_y=True, categories=["1", "2"], min_span=30)
    root = ET.fromstring(chart.line([0, 1], [180.0, 200.0], "#000", dots=True).svg())
    fast, slow = (float(c.get("cy") or 0) for c in root.iter(f"{SVG}circle"))
    assert fast < slow  # 3:00/km drawn above 3:20/km


def test_distance_and_time_reps_are_grouped_apart() -> None:
    reps = [_rep(1, 180, 1003), _rep(2, 178, 998), _rep(3, 181, 1001),
            _rep(4, 60, 330), _rep(5, 61, 321), _rep(6, 40, 209), _rep(7, 40, 204)]  # fmt: skip
    groups = rep_groups(reps)
    assert [(name, [r.number for r in g]) for name, g in groups] == [
        ("~1000 m", [1, 2, 3]), ("~1:00", [4, 5]), ("~0:40", [6, 7]),
    ]  # fmt: skip


def test_load_scores_and_the_fitness_curve() -> None:
    data = frames([run(1, 0, 8, 12, 60, zones={"I1": 1800, "I3": 1800}),
                   run(2, 1, 8, 10, 50, "threshold", hr=False)])  # fmt: skip
    report = build_week(data, WEEK, ELITE)
    easy, threshold = report.outings
    # 30 min x 1 + 30 min x 3; no zones: 50 min x 3 (threshold)
    assert session_load(easy) == (pytest.approx(120.0), "zones")
    assert session_load(threshold) == (pytest.approx(150.0), "type")
    days = load_curve(report.outings, report.first_day, report.first_day + dt.timedelta(days=6))
    assert [round(d.load) for d in days[:3]] == [120, 150, 0]
    k42, k7 = 1 - math.exp(-1 / FITNESS_DAYS), 1 - math.exp(-1 / FATIGUE_DAYS)
    assert days[0].fitness == pytest.approx(120 * k42)
    assert days[0].fatigue == pytest.approx(120 * k7)
    assert days[1].form == pytest.approx(days[0].fitness - days[0].fatigue)  # yesterday's


def test_week_json_and_trend_carry_the_load() -> None:
    data = frames(elite_week(-1) + elite_week())
    report = build_week(data, WEEK, ELITE, 180)
    doc = week_json(report)
    assert len(doc["load"]["days"]) == 12 * 7 and doc["load"]["days"][-1]["date"] == "2026-03-22"
    assert doc["load"]["fitness_days"] == 42 and doc["load"]["fatigue_days"] == 7
    assert all(s["load"] > 0 and s["load_basis"] in ("zones", "type") for s in doc["sessions"])
    rows = build_trend(data, WEEK, 12, ELITE, 180)
    assert [r.week for r in rows] == ["2026-W11", "2026-W12"]
    assert rows[1].fitness is not None and rows[1].fitness > rows[0].fitness  # type: ignore[operator]
    assert rows[1].zones_s["I1"] == pytest.approx(sum(easy_zones(m)["I1"] for m in (60, 52, 60,
                                                  52, 60, 48, 72)))  # fmt: skip


def test_the_page_is_self_contained_and_links_each_run() -> None:
    report = build_week(frames(elite_week(-1) + elite_week()), WEEK, ELITE, 180)
    trend = build_trend(frames(elite_week(-1) + elite_week()), WEEK, 12, ELITE, 180)
    html = week_html(report, trend)
    assert '<meta name="viewport"' in html and "@media (max-width:600px)" in html
    assert not re.search(r"(src|href)=[\"']https?:", html)
    runs = [o.outing_id for o in report.running]
    for outing_id in runs:
        assert f'href="#session-{outing_id}"' in html and f"id='session-{outing_id}'" in html
    for title in ("Weekly volume", "Threshold dose per week", "Time in zone per week",
                  "Fitness, fatigue and form", "Distance per day by zone"):  # fmt: skip
        assert f'aria-label="{title}"' in html
    assert "March 2026" in html  # the month calendar
    assert "No samples stored for this session" in html  # no traces given: it says so


def test_the_trace_charts_shade_the_reps() -> None:
    trace = [(m / 2, 240.0 if 10 <= m < 20 else 330.0, 150.0, None) for m in range(60)]
    svgs = charts.trace_charts(trace, [(5.0, 10.0, "rep 1: 5:00")])
    assert len(svgs) == 2  # pace and HR; no power samples, no power chart
    assert all("rep 1: 5:00" in s for s in svgs)
