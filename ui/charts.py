"""Server-rendered SVG charts: bars, quartile ranges, a line over months and small multiples.

No script and no CDN: each chart is an ``<svg>`` in the page with a ``<title>`` and ``<desc>``
(announced by screen readers through ``aria-labelledby``), each bar or point a link to its list
with a spoken label ("Patna: 12"). Colours are presentation attributes (the pages' CSP allows no
inline style). Labels are escaped here; the result is ``Markup``.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 560
BLUE, RED, PURPLE, GREY, INK = "#2e68a0", "#b5472c", "#6a4fa0", "#c9d3df", "#1f2933"


@dataclass(frozen=True)
class BarItem:
    label: str
    value: int
    href: str | None = None


@dataclass(frozen=True)
class RangeItem:
    label: str
    n: int
    q1: float | None
    median: float | None
    q3: float | None
    href: str | None = None


@dataclass(frozen=True)
class Point:
    month: str  # 2026-03
    share: float | None  # 0..1, None: no reports that month
    label: str  # spoken: "2026-03: 2 of 3 traced"
    href: str | None = None


def _open(chart_id: str, title: str, desc: str, height: int, width: int = WIDTH) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="group" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" font-family="sans-serif" font-size="13">'
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title><desc id="{escape(chart_id)}-d">{escape(desc)}</desc>'
    )


def _link(href: str | None, label: str, body: str) -> str:
    if not href:
        return f'<g role="img" aria-label="{escape(label)}">{body}</g>'
    return f'<a href="{escape(href)}" aria-label="{escape(label)}">{body}</a>'


def bar_chart(chart_id: str, title: str, desc: str, items: list[BarItem], *, colour: str = BLUE, empty: str = "-") -> Markup:
    """Horizontal bars, one per item, longest scale at the largest value; the value after the bar."""
    row, label_w, bar_w = 28, 170, WIDTH - 170 - 60
    height = max(1, len(items)) * row + 8
    out = [_open(chart_id, title, desc, height)]
    if not items:
        out.append(f'<text x="8" y="22" fill="{INK}">{escape(empty)}</text>')
    top = max((i.value for i in items), default=0) or 1
    for n, item in enumerate(items):
        y = 4 + n * row
        length = 0 if item.value == 0 else max(2.0, bar_w * item.value / top)
        body = (
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" fill="{INK}">{escape(item.label[:28])}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row - 10}" fill="{colour}" rx="2"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + 18}" fill="{INK}" font-weight="bold">{item.value}</text>'
        )
        out.append(_link(item.href, f"{item.label}: {item.value}", f'<g class="bar">{body}</g>'))
    out.append("</svg>")
    return Markup("".join(out))


def range_chart(chart_id: str, title: str, desc: str, items: list[RangeItem], *, unit: str, empty: str = "-") -> Markup:
    """Each row a box from the first to the third quartile with the median marked, on one day scale."""
    row, label_w, span = 44, 170, WIDTH - 170 - 30
    height = max(1, len(items)) * row + 26
    top = max((i.q3 or 0 for i in items), default=0) or 1
    out = [_open(chart_id, title, desc, height)]
    if any(i.median is not None for i in items):  # the scale: 0, ¼, ½, ¾ and all of the largest third quartile
        for tick in range(5):
            value = top * tick / 4
            x = label_w + span * tick / 4
            out.append(f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - 20}" stroke="{GREY}"/>')
            shown = f"{value:.0f}" if top >= 8 else f"{value:.1f}"
            out.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" fill="{INK}" font-size="11">{shown}</text>')
        out.append(f'<text x="{label_w - 8}" y="{height - 6}" text-anchor="end" fill="{INK}" font-size="11">{escape(unit)}</text>')
    for n, item in enumerate(items):
        y = 6 + n * row
        label = f'<text x="{label_w - 8}" y="{y + 20}" text-anchor="end" fill="{INK}">{escape(item.label)}</text>'
        if item.median is None:
            body = label + f'<text x="{label_w + 4}" y="{y + 20}" fill="{INK}">{escape(empty)}</text>'
            out.append(_link(None, f"{item.label}: {empty}", body))
            continue
        x1, x3, xm = (label_w + span * (v or 0) / top for v in (item.q1, item.q3, item.median))
        body = (
            label + f'<rect x="{x1:.1f}" y="{y + 6}" width="{max(2.0, x3 - x1):.1f}" height="18" fill="{GREY}" stroke="{BLUE}"/>'
            f'<line x1="{xm:.1f}" y1="{y + 2}" x2="{xm:.1f}" y2="{y + 28}" stroke="{BLUE}" stroke-width="4"/>'
            f'<text x="{label_w}" y="{y + 40}" fill="{INK}" font-size="11">{item.median:g} ({item.q1:g}–{item.q3:g}), n={item.n}</text>'
        )
        spoken = f"{item.label}: median {item.median:g} {unit}, quartiles {item.q1:g} to {item.q3:g}, {item.n} cases"
        out.append(_link(item.href, spoken, body))
    out.append("</svg>")
    return Markup("".join(out))


def _month_short(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year[2:]}"


def line_chart(
    chart_id: str, title: str, desc: str, points: list[Point], *, width: int = WIDTH, height: int = 200, small: bool = False
) -> Markup:
    """A share (0–100 %) over months: a line through the months that had reports, a dot on each."""
    left, right, top, bottom = (30, 8, 8, 18) if small else (44, 12, 12, 26)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(points) - 1)
    out = [_open(chart_id, title, desc, height, width)]
    size = 10 if small else 11
    for share in (0, 0.5, 1):
        y = top + plot_h * (1 - share)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GREY}"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}" font-size="{size}">{share:.0%}</text>')
    for n, point in enumerate(points):
        if n in (0, len(points) - 1) or (not small and n % 3 == 0):
            x = left + step * n
            anchor = "start" if n == 0 else "end" if n == len(points) - 1 else "middle"
            out.append(
                f'<text x="{x:.1f}" y="{height - 4}" text-anchor="{anchor}" fill="{INK}" font-size="{size}">'
                f"{_month_short(point.month)}</text>"
            )
    xy = [(left + step * n, top + plot_h * (1 - p.share)) for n, p in enumerate(points) if p.share is not None]
    if len(xy) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        out.append(f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="{2 if small else 3}"/>')
    radius = 4 if small else 5
    for n, point in enumerate(points):
        if point.share is None:
            continue
        x, y = left + step * n, top + plot_h * (1 - point.share)
        dot = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{BLUE}" stroke="#fff" stroke-width="1.5"/>'
        out.append(_link(point.href, point.label, dot))
    out.append("</svg>")
    return Markup("".join(out))
