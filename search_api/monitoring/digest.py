"""The weekly digest as CSV and PDF (fpdf2, with HarfBuzz shaping through uharfbuzz for Devanagari).

Headings are in English and Hindi. District names are printed as stored; a Devanagari name needs a
font with Devanagari: ``Settings.monitor_pdf_font``, else the first of ``FONT_CANDIDATES`` found on
the machine (Debian's fonts-lohit-deva or fonts-noto-core). With none, such names are printed
transliterated to Latin and the PDF says so on its first page (nothing is silently dropped).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

from search_api.monitoring.service import DIGEST_COLUMNS, Digest, DigestRow

log = logging.getLogger("trackchild.monitoring")
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansDevanagari-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSerifDevanagari-Regular.ttf",
)
LATIN_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
# column headings: English / हिन्दी
HEADINGS = {
    "district": ("District", "ज़िला"),
    "new_reports": ("New reports", "नई रिपोर्ट"),
    "matches": ("Matches confirmed", "पुष्ट मिलान"),
    "restorations": ("Restored", "घर पहुँचाए गए"),
    "police_actions": ("Police actions logged", "दर्ज पुलिस कार्रवाई"),
    "open_at_end": ("Open at week end", "सप्ताह अंत में खुली"),
    "open_over_30_days": ("Open > 30 days", "30 दिन से अधिक खुली"),
    "no_action": ("No action for {n} days", "{n} दिन से कोई कार्रवाई नहीं"),
    "review_backlog_now": ("Review backlog (now)", "समीक्षा बाकी (अभी)"),
    "duplicates_now": ("Duplicates awaiting (now)", "दोहरी प्रविष्टि निर्णय बाकी (अभी)"),
    "median_days_to_match": ("Median days to match", "मिलान तक दिन (माध्यिका)"),
}


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@")) and text != "-" else text  # a spreadsheet never runs a cell


def digest_csv(digest: Digest) -> str:
    """One row per district and a total row ("all districts"), the week and state on each row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["state", "week", *DIGEST_COLUMNS])
    for row in [*digest.rows, digest.total]:
        values = [getattr(row, name) for name in DIGEST_COLUMNS]
        values[0] = row.district or "all districts"
        writer.writerow([_cell(digest.state), digest.week, *(_cell(v) for v in values)])
    return out.getvalue()


def find_font(configured: Path | str | None = None) -> Path | None:
    """A TrueType font with Devanagari: the configured one, else the first found on the machine."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FileNotFoundError(f"TRACKCHILD_MONITOR_PDF_FONT names {path}, which is not a file")
        return path
    return next((Path(p) for p in FONT_CANDIDATES if Path(p).is_file()), None)


def _latin(text: str) -> str:
    from indic_transliteration import sanscript

    return sanscript.transliterate(text, sanscript.DEVANAGARI, sanscript.IAST)


def digest_pdf(digest: Digest, *, font: Path | str | None = None) -> bytes:
    """The digest as an A4 landscape PDF: a table by district and bars of reports open at the week's end."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    deva = find_font(font)
    latin = next((Path(p) for p in LATIN_CANDIDATES if Path(p).is_file()), None)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_title(f"TrackChild weekly digest {digest.state} {digest.week}")
    pdf.set_creator("TrackChild")
    if latin is not None:
        pdf.add_font("body", "", str(latin))
        family = "body"
    else:
        family = "helvetica"
    if deva is not None:
        pdf.add_font("deva", "", str(deva))
        if latin is None:
            family = "deva"
        else:
            pdf.set_fallback_fonts(["deva"])
        pdf.set_text_shaping(True)  # conjuncts and vowel signs need HarfBuzz (uharfbuzz)
    else:
        log.warning("weekly digest: no Devanagari font found (%s); Hindi text is transliterated", ", ".join(FONT_CANDIDATES))

    def text(value: str) -> str:
        if deva is None and DEVANAGARI.search(value):
            return _latin(value)
        if family == "helvetica":
            return value.encode("latin-1", "replace").decode("latin-1")
        return value

    def heading(name: str) -> str:
        en, hi = HEADINGS[name]
        en, hi = en.replace("{n}", str(digest.no_action_days)), hi.replace("{n}", str(digest.no_action_days))
        return f"{en}\n{text(hi)}"

    pdf.add_page()
    pdf.set_font(family, size=16)
    pdf.cell(text=text(f"TrackChild weekly digest / साप्ताहिक सारांश: {digest.state}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    pdf.cell(
        text=f"{digest.week}: {digest.start:%d %b %Y} - {digest.end:%d %b %Y}.  Generated {digest.generated_at:%Y-%m-%d %H:%M} UTC",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if deva is None:
        pdf.set_text_color(160, 0, 0)
        pdf.multi_cell(
            0,
            5,
            text="No Devanagari font was found on this machine (install fonts-lohit-deva or fonts-noto-core, or set "
            "TRACKCHILD_MONITOR_PDF_FONT): Hindi headings and Devanagari district names are transliterated.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    widths = [40] + [22] * (len(DIGEST_COLUMNS) - 1)
    pdf.set_font(family, size=7)
    with pdf.table(
        col_widths=widths,
        text_align=["LEFT"] + ["RIGHT"] * (len(DIGEST_COLUMNS) - 1),
        line_height=4,
        first_row_as_headings=True,
        headings_style=FontFace(emphasis="", fill_color=(225, 233, 243)),
    ) as table:
        table.row([heading(name) for name in DIGEST_COLUMNS])
        for row in [*digest.rows, digest.total]:
            cells = [text(row.district) if row.district else text("All districts / सभी ज़िले")]
            cells += ["" if getattr(row, n) is None else str(getattr(row, n)) for n in DIGEST_COLUMNS[1:]]
            table.row(cells)
    _bars(pdf, digest.rows, text, family)
    pdf.set_font(family, size=7)
    pdf.ln(3)
    pdf.multi_cell(
        0,
        4,
        text="Open at week end: reports dated by the week's end and not traced or closed by then. No action: open at the "
        "week's end with no police action logged for the number of days shown. Review backlog and duplicates are as "
        "of the time of generation. Days to match: from the report's date to the confirmed match.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def _bars(pdf, rows: list[DigestRow], text, family: str) -> None:  # type: ignore[no-untyped-def]
    """Reports open at the week's end, one bar per district (the figure a reader looks at first)."""
    shown = sorted((r for r in rows if r.open_at_end), key=lambda r: -r.open_at_end)[:25]
    if not shown:
        return
    pdf.ln(4)
    pdf.set_font(family, size=10)
    pdf.cell(text=text("Reports open at the week's end / सप्ताह अंत में खुली रिपोर्ट"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=8)
    top = max(r.open_at_end for r in shown)
    x0, width = pdf.l_margin + 45, 150
    for row in shown:
        if pdf.will_page_break(6):
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(44, 5, text=text(row.district)[:40])
        pdf.set_fill_color(46, 104, 160)
        pdf.rect(x0, y + 0.8, max(0.5, width * row.open_at_end / top), 3.6, style="F")
        pdf.set_xy(x0 + width * row.open_at_end / top + 2, y)
        pdf.cell(20, 5, text=str(row.open_at_end))
        pdf.set_y(y + 5.5)
