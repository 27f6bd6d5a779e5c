"""The dashboard's SVG charts (ui/charts.py) and its labels: accessible titles, a link per bar or
point with a spoken count, escaped text, and every label the monitoring pages use in both languages."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from search_api import POLICE_ACTIONS
from ui.charts import BarItem, Point, RangeItem, bar_chart, line_chart, range_chart
from ui.i18n import LABELS

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # well-formed XML, or this raises


def test_bars_scale_link_and_speak() -> None:
    items = [
        BarItem("Patna", 8, "/ui/monitor/list/no_action?state=Bihar&district=Patna&days=7"),
        BarItem("Gaya <b>", 2, None),
        BarItem("Nalanda", 0, None),
    ]
    svg = parse(bar_chart("c1", "No police action for 7 days", "Open reports idle", items))
    assert svg.get("role") == "group" and svg.get("aria-labelledby") == "c1-t c1-d"
    assert svg.find(f"{SVG}title").text == "No police action for 7 days" and svg.find(f"{SVG}desc").text == "Open reports idle"
    links = svg.findall(f"{SVG}a")
    assert [a.get("aria-label") for a in links] == ["Patna: 8"]
    assert links[0].get("href") == "/ui/monitor/list/no_action?state=Bihar&district=Patna&days=7"  # & escaped in the markup, read back
    widths = [float(r.get("width")) for r in svg.iter(f"{SVG}rect")]
    assert widths[0] == 330 and abs(widths[1] - 330 * 2 / 8) < 0.1 and widths[2] == 0  # to scale; a zero is no bar
    assert "Gaya <b>" in [t.text for t in svg.iter(f"{SVG}text")]  # text, not markup
    assert "<b>" not in str(bar_chart("c1", "t", "d", items)).replace("&lt;b&gt;", "")


def test_quartile_ranges_and_empty_rows() -> None:
    svg = parse(
        range_chart(
            "c2",
            "Time to match",
            "days",
            [RangeItem("Report to match", 4, 5.0, 10.0, 20.0, "/ui/x"), RangeItem("Match to restoration", 0, None, None, None)],
            unit="days",
        )
    )
    (link,) = svg.findall(f"{SVG}a")
    assert link.get("aria-label") == "Report to match: median 10 days, quartiles 5 to 20, 4 cases"
    box = link.find(f"{SVG}rect")
    assert abs(float(box.get("x")) - (170 + 360 * 5 / 20)) < 0.1 and abs(float(box.get("width")) - 360 * 15 / 20) < 0.1
    assert any(g.get("aria-label") == "Match to restoration: -" for g in svg.iter(f"{SVG}g"))


def test_line_over_months_skips_months_without_reports() -> None:
    points = [
        Point("2026-01", 0.5, "2026-01: 1 / 2 traced", "/a"),
        Point("2026-02", None, "2026-02: 0 / 0"),
        Point("2026-03", 1.0, "2026-03: 3 / 3 traced", "/b"),
    ]
    svg = parse(line_chart("c3", "Traced share", "by month", points))
    assert [a.get("aria-label") for a in svg.findall(f"{SVG}a")] == ["2026-01: 1 / 2 traced", "2026-03: 3 / 3 traced"]
    assert len(svg.find(f"{SVG}polyline").get("points").split()) == 2
    assert [t.text for t in svg.iter(f"{SVG}text") if t.text and "/" in t.text][-2:] == ["01/26", "03/26"]


def test_every_monitoring_label_exists_in_both_languages() -> None:
    used = set(re.findall(r"""\bt\(\s*["']([a-z_0-9]+)["']\s*\)""", (ROOT / "ui/pages/monitor.py").read_text(encoding="utf-8")))
    used |= {f"pa_{action}" for action in POLICE_ACTIONS}
    assert used and not sorted(k for k in used if k not in LABELS)
    assert all(LABELS[k][1] != LABELS[k][0] for k in used)
