"""The map drawn on the server: an SVG choropleth (districts of a state, or states of India)
with hotspot clusters and routes, and the same SVG as PNG (resvg through ``resvg-py``: it
shapes Devanagari properly, which cairo's text does not; no browser, no tiles).

Colours are five classes of the published counts of one kind (missing: oranges, found:
blues); a suppressed region is hatched grey, a region with no record light grey. Every
region and dot carries a <title> (its name and figure) for screen readers and tooltips.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

from search_api.maps.boundaries import Shape, boundaries
from search_api.maps.service import INDIA, HotspotMap

PALETTE = {
    "missing": ("#fee6ce", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"),
    "found": ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"),
}
NONE_FILL, HATCH_FILL = "#f4f4f4", "url(#suppressed)"
DOT = {"missing": "#b30000", "found": "#08306b"}
# resvg picks one family per text run: Devanagari labels need a Devanagari font first (Debian's fonts-lohit-deva)
FONTS = {"hi": "Lohit Devanagari, DejaVu Sans, sans-serif", "en": "DejaVu Sans, Lohit Devanagari, sans-serif"}


class PngUnavailable(RuntimeError):
    """resvg-py is not installed; says what to install."""


def _breaks(values: list[int]) -> list[int]:
    """Upper bounds of five classes over 1..max (equal steps, at least 1 apart)."""
    top = max(values, default=0)
    if top <= 0:
        return [1, 2, 3, 4, 5]
    step = max(1, math.ceil(top / 5))
    return [step * (i + 1) for i in range(5)]


def _projector(shapes: list[Shape], width: int, height_cap: int, pad: int) -> tuple[Callable[[float, float], tuple[float, float]], int]:
    boxes = [s.bbox for s in shapes]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    k = math.cos(math.radians((y0 + y1) / 2))  # equirectangular, true to scale at the middle latitude
    span_x, span_y = max((x1 - x0) * k, 1e-6), max(y1 - y0, 1e-6)
    scale = min((width - 2 * pad) / span_x, (height_cap - 2 * pad) / span_y)
    height = int(span_y * scale + 2 * pad)
    off_x = (width - span_x * scale) / 2

    def project(lon: float, lat: float) -> tuple[float, float]:
        return off_x + (lon - x0) * k * scale, pad + (y1 - lat) * scale

    return project, height


def _path(shape: Shape, project: Callable[[float, float], tuple[float, float]]) -> str:
    parts = []
    for ring in shape.rings:
        points = [project(x, y) for x, y in ring]
        parts.append("M" + "L".join(f"{px:.1f},{py:.1f}" for px, py in points) + "Z")
    return "".join(parts)


def render_svg(m: HotspotMap, *, kind: str, t: Callable[[str], str], lang: str = "en", width: int = 900) -> str:
    """The map as a standalone SVG document (UTF-8 text)."""
    title_h, legend_h, pad = 56, 96, 12
    shapes = m.regions or list(boundaries().states.values())
    project, map_h = _projector(shapes, width, 860, pad)
    height = title_h + map_h + legend_h
    palette = PALETTE[kind]
    published = [c.count for c in m.cells if c.kind == kind and c.count]
    breaks = _breaks([v for v in published if v is not None])
    area_name = t("india") if m.area == INDIA else m.area
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="map-title" font-family={quoteattr(FONTS.get(lang, FONTS["en"]))}>',
        '<defs><pattern id="suppressed" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#e0e0e0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9e9e9e" stroke-width="2"/></pattern>'
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
        '<path d="M0,0L10,5L0,10z" fill="#4a1486"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text id="map-title" x="{pad}" y="24" font-size="18" font-weight="bold" fill="#222">'
        f"{escape(t('map_title_' + kind))} · {escape(area_name)}</text>",
        f'<text x="{pad}" y="44" font-size="13" fill="#444">{m.window.start.isoformat()} – {m.window.end.isoformat()} '
        f"({escape(t('compared_with'))} {m.window.previous.start.isoformat()} – {m.window.previous.end.isoformat()})</text>",
        f'<g transform="translate(0,{title_h})" stroke="#5f5f5f" stroke-width="0.6" stroke-linejoin="round">',
    ]
    for shape in shapes:
        cell = m.cell(shape.name, kind)
        if cell is None or cell.count is None:
            fill, figure = HATCH_FILL, t("suppressed_short").format(k=m.suppress_below)
        elif cell.count == 0:
            fill, figure = NONE_FILL, "0"
        else:
            fill, figure = palette[next((i for i, b in enumerate(breaks) if cell.count <= b), 4)], str(cell.count)
        out.append(f'<path d="{_path(shape, project)}" fill="{fill}" data-region={quoteattr(shape.name)}>'
                   f"<title>{escape(shape.name)}: {escape(figure)}</title></path>")  # fmt: skip
    out.append("</g>")
    # routes between two regions of this map
    centres = {s.name: project(*s.centre) for s in shapes}
    out.append(f'<g transform="translate(0,{title_h})" fill="none" stroke="#4a1486" stroke-opacity="0.75">')
    for r in m.routes:
        a, b = centres.get(r.from_region), centres.get(r.to_region)
        if a is None or b is None or a == b or r.count is None:
            continue
        w = 1.2 + 1.5 * math.sqrt(r.count)
        out.append(f'<line x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}" stroke-width="{w:.1f}" marker-end="url(#arrow)">'
                   f"<title>{escape(r.from_region)} → {escape(r.to_region)}: {r.count}</title></line>")  # fmt: skip
    out.append("</g>")
    out.append(f'<g transform="translate(0,{title_h})" stroke="#ffffff" stroke-width="1">')
    for h in (h for h in m.hotspots if h.kind == kind):
        x, y = project(h.lon, h.lat)
        radius = 3 + 2.5 * math.sqrt(h.count)
        out.append(f'<circle class="hotspot" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{DOT[kind]}" fill-opacity="0.7">'
                   f"<title>{escape(h.district or h.state)} · {escape(t('place_' + h.place))}: {h.count}</title></circle>")  # fmt: skip
    out.append("</g>")
    # the district's services (directory entries with coordinates): small dark squares
    out.append(f'<g transform="translate(0,{title_h})" fill="#1b5e20" stroke="#ffffff" stroke-width="0.8">')
    for service in m.services:
        x, y = project(service.lon, service.lat)
        out.append(f'<rect class="service" x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7">'
                   f"<title>{escape(service.name)} · {escape(service.type)} · {escape(service.district)}</title></rect>")  # fmt: skip
    out.append("</g>")
    # legend
    y = title_h + map_h + 8
    out.append(f'<g font-size="12" fill="#222"><text x="{pad}" y="{y + 12}">{escape(t("legend_count"))}</text>')
    x, low = pad, 1
    for colour, high in zip(palette, breaks, strict=True):
        label = f"{low}" if low == high else f"{low}–{high}"
        out.append(f'<rect x="{x}" y="{y + 20}" width="22" height="14" fill="{colour}" stroke="#5f5f5f" stroke-width="0.5"/>'
                   f'<text x="{x + 26}" y="{y + 31}">{label}</text>')  # fmt: skip
        x, low = x + 80, high + 1
    out.append(f'<rect x="{x}" y="{y + 20}" width="22" height="14" fill="{NONE_FILL}" stroke="#5f5f5f" stroke-width="0.5"/>'
               f'<text x="{x + 26}" y="{y + 31}">0</text>')  # fmt: skip
    x += 60
    out.append(f'<rect x="{x}" y="{y + 20}" width="22" height="14" fill="{HATCH_FILL}" stroke="#5f5f5f" stroke-width="0.5"/>'
               f'<text x="{x + 26}" y="{y + 31}">{escape(t("suppressed_short").format(k=m.suppress_below))}</text>')  # fmt: skip
    out.append(f'<circle cx="{pad + 8}" cy="{y + 52}" r="6" fill="{DOT[kind]}" fill-opacity="0.7"/>'
               f'<text x="{pad + 20}" y="{y + 56}">{escape(t("legend_hotspot"))}</text>'
               f'<line x1="{pad + 330}" y1="{y + 52}" x2="{pad + 370}" y2="{y + 52}" stroke="#4a1486" stroke-width="2.5" '
               'marker-end="url(#arrow)"/>'
               f'<text x="{pad + 378}" y="{y + 56}">{escape(t("legend_route"))}</text>'
               f'<rect x="{pad + 560}" y="{y + 48}" width="8" height="8" fill="#1b5e20"/>'
               f'<text x="{pad + 574}" y="{y + 56}">{escape(t("legend_service"))}</text>')  # fmt: skip
    src = boundaries().source
    credit = f"{src.get('package', '')} {src.get('version', '')} ({src.get('licence', '')})"
    out.append(f'<text x="{pad}" y="{y + 80}" font-size="10" fill="#666">{escape(t("boundaries_credit"))}: {escape(credit)}</text></g>')
    out.append("</svg>")
    return "".join(out)


def svg_to_png(svg: str, *, zoom: float = 1.5) -> bytes:
    """The SVG as PNG through resvg (system fonts; Hindi needs Debian's fonts-lohit-deva).

    Raises:
        PngUnavailable: resvg-py is missing.
    """
    try:
        import resvg_py
    except ImportError as exc:
        raise PngUnavailable("PNG export needs resvg-py: pip install 'resvg-py>=0.5,<0.6'") from exc
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, zoom=zoom, background="#ffffff"))
