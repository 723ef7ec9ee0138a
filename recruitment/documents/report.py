"""The quota report as an official document (``/dashboard/?…&format=docx|pdf``): A4, the
administrative layout of party documents (issuing committee and number top left, "ĐẢNG CỘNG
SẢN VIỆT NAM" and "place, ngày … tháng … năm …" top right, title, body, table, "Nơi nhận",
signature block), in Vietnamese whatever the page's language: it is the document signed.

The figures are those of the dashboard (``recruitment.reports.figures``), not recounted here;
number, place and signer come from the unit's paperwork setting, dotted lines where unset.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from fractions import Fraction
from pathlib import Path

from django.http import HttpResponse
from django.utils import timezone, translation

from recruitment.documents import render as docx
from recruitment.documents.catalogue import QUOTA_REPORT
from recruitment.documents.context import SHORT_DOTS, letterheads
from recruitment.models import Organisation
from recruitment.reorganisation.selectors import Lineage
from recruitment.reports import exports, figures

FORMATS = ("docx", "pdf")
CONTENT_TYPES = {"docx": docx.DOCX_TYPE, "pdf": "application/pdf"}
FONTS = Path(__file__).parent / "fonts"
NONE = "—"


def _summary(own: figures.UnitFigures) -> str:
    unit, year = own.unit.name, own.year
    if own.quota is None:
        return (
            f"Năm {year}, {unit} chưa được giao chỉ tiêu kết nạp đảng viên; "
            f"đã kết nạp {own.admitted} đảng viên."
        )
    change = ""
    if own.quota_change is not None:
        if own.quota_change > 0:
            change = f" (tăng {own.quota_change} so với năm {year - 1})"
        elif own.quota_change < 0:
            change = f" (giảm {-own.quota_change} so với năm {year - 1})"
        else:
            change = f" (bằng năm {year - 1})"
    achieved = f", đạt {own.ratio_text} = {own.percent}% chỉ tiêu" if own.quota else ""
    return (
        f"Năm {year}, {unit} được giao chỉ tiêu kết nạp {own.quota} đảng viên{change}; "
        f"đã kết nạp {own.admitted} đảng viên{achieved}."
    )


def _predecessors(lineage: Lineage | None) -> str:
    """What the units this one continues admitted, in the years its page shows them: the
    comparison a successor's first years need (DESIGN.md §4)."""
    if lineage is None or not lineage.lines:
        return ""
    names = ", ".join(unit.name for unit in lineage.predecessors)
    years = "; ".join(f"năm {year} kết nạp {n} đảng viên" for year, n in lineage.lines)
    return f"Các đơn vị tiền thân ({names}): {years}."


def _pace(own: figures.UnitFigures, pace: figures.Pace, today: date) -> str:
    if own.year != today.year or pace.expected is None:
        return ""
    if pace.planned:
        return (
            f"Đến ngày {today:%d/%m/%Y}, theo kế hoạch tháng của đơn vị cần kết nạp khoảng "
            f"{pace.expected_rounded} đảng viên; đã kết nạp {own.admitted}."
        )
    return (
        f"Đến ngày {today:%d/%m/%Y} ({pace.share_percent}% thời gian của năm), theo tiến độ "
        f"cần kết nạp khoảng {pace.expected_rounded} đảng viên; đã kết nạp {own.admitted}."
    )


def _composition(unit: Organisation, year: int) -> str:
    with translation.override("vi"):
        shares = figures.composition(unit, year)
        parts = [f"{share.label}: {share.count}" for share in shares]
    if not shares or not shares[0].total:
        return ""
    return "Cơ cấu đảng viên mới kết nạp: " + "; ".join(parts) + "."


def _row(row: figures.UnitFigures) -> dict[str, str]:
    return {
        "unit": row.unit.name,
        "quota": NONE if row.quota is None else str(row.quota),
        "admitted": str(row.admitted),
        "ratio": row.ratio_text or NONE,
        "percent": NONE if row.percent is None else f"{row.percent}%",
    }


def report_context(
    rows: list[figures.UnitFigures],
    *,
    unit: Organisation,
    year: int,
    today: date,
    pace,
    lineage: Lineage | None = None,
) -> dict:
    """What the report prints. Two queries (the parent and the paperwork setting); the
    predecessors' admissions come with ``lineage`` (the dashboard's)."""
    own = rows[0]
    # The level above heads the document, even outside the user's scope: it set the quota.
    parent = Organisation.objects.get_parent(unit)
    head = letterheads([unit])[unit.pk]
    return {
        "year": year,
        "parent_upper": parent.name.upper() if parent else "",
        "head": head.as_dict(),
        "issued": {"day": SHORT_DOTS, "month": SHORT_DOTS, "year": SHORT_DOTS},
        "summary": " ".join(filter(None, [_summary(own), _predecessors(lineage)])),
        "pace": _pace(own, pace, today),
        "composition": _composition(unit, year),
        "rows": [_row(r) for r in rows],
    }


def sample_context(unit: Organisation) -> dict:
    """The report of ``unit`` as it reads before any figure (an upload's check)."""
    today = timezone.localdate()
    rows = [
        figures.UnitFigures(unit=unit, year=today.year, quota=None, previous_quota=None, admitted=0)
    ]
    pace = figures.Pace(share=Fraction(0), expected=None)
    return report_context(rows, unit=unit, year=today.year, today=today, pace=pace)


# --- PDF -------------------------------------------------------------------------------------

LEFT, TOP, RIGHT = 30, 20, 15  # mm: the margins of party documents
WIDTH = 210 - LEFT - RIGHT
FAMILY = "LiberationSerif"  # metric-compatible with Times New Roman, full Vietnamese


def _nfc(text: str) -> str:
    """Precomposed letters: the font has "ễ" as one glyph, not "e" + two marks."""
    return unicodedata.normalize("NFC", text)


def write_pdf(context: dict) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=20)
    for style, file in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic")):
        pdf.add_font(FAMILY, style, str(FONTS / f"LiberationSerif-{file}.ttf"))
    pdf.set_title(_nfc(f"Báo cáo kết quả kết nạp đảng viên năm {context['year']}"))
    pdf.set_creator("recruitment-tracker")
    pdf.add_page()
    head = context["head"]
    next_line = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

    def line(text, *, style="", size=13, align="C", x=None, w=0, h=6.5):
        pdf.set_font(FAMILY, style, size)
        if x is not None:
            pdf.set_x(x)
        pdf.multi_cell(w, h, _nfc(text), align=align, **next_line)

    # The two columns of the head.
    left_w, right_x = 70, LEFT + 70
    right_w = WIDTH - 70
    top = pdf.get_y()
    if context["parent_upper"]:
        line(context["parent_upper"], size=12, w=left_w)
    line(head["name"], style="B", size=12, w=left_w)
    line("*", w=left_w)
    line(f"Số {head['report_number']}", size=13, w=left_w)
    left_bottom = pdf.get_y()
    pdf.set_y(top)
    line("ĐẢNG CỘNG SẢN VIỆT NAM", style="B", size=13, x=right_x, w=right_w)
    issued = context["issued"]
    line(
        f"{head['place']}, ngày {issued['day']} tháng {issued['month']} năm {issued['year']}",
        style="I",
        size=12,
        x=right_x,
        w=right_w,
    )
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)

    line("BÁO CÁO", style="B", size=15)
    line(f"KẾT QUẢ KẾT NẠP ĐẢNG VIÊN NĂM {context['year']}", style="B", size=14)
    line("-----", size=12)
    pdf.ln(2)
    for paragraph in (context["summary"], context["pace"], context["composition"]):
        if paragraph:
            line(paragraph, size=13, align="J", h=7)
            pdf.ln(1)
    pdf.ln(2)

    pdf.set_font(FAMILY, "", 12)
    widths = (70, 22, 25, 23, 25)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align="LEFT",
        text_align=("LEFT", "CENTER", "CENTER", "CENTER", "CENTER"),
        line_height=6,
        headings_style=FontFace(emphasis="BOLD"),  # repeated on each page
    ) as table:
        heading = table.row()
        for text in ("Đơn vị", "Chỉ tiêu", "Đã kết nạp", "Tỉ lệ", "Đạt"):
            heading.cell(_nfc(text), align="CENTER")
        for row in context["rows"]:
            cells = table.row()
            for key in ("unit", "quota", "admitted", "ratio", "percent"):
                cells.cell(_nfc(row[key]))
    pdf.ln(8)

    # "Nơi nhận" on the left, the signature on the right, side by side.
    if pdf.will_page_break(50):
        pdf.add_page()
    top = pdf.get_y()
    line("Nơi nhận:", style="BI", size=12, align="L", w=left_w)
    for recipient in head["recipients"]:
        line(recipient, size=11, align="L", w=left_w, h=5.5)
    pdf.set_y(top)
    line(head["capacity"], style="B", x=right_x, w=right_w)
    line(head["title"], style="B", x=right_x, w=right_w)
    pdf.ln(22)
    line(head["signer"], style="B", x=right_x, w=right_w)
    return bytes(pdf.output())


# --- the response ----------------------------------------------------------------------------


def response(
    fmt: str,
    rows: list[figures.UnitFigures],
    *,
    unit: Organisation,
    year: int,
    today: date,
    pace: figures.Pace,
    lineage: Lineage | None = None,
) -> HttpResponse:
    """The report as a download: ``fmt`` is "docx" or "pdf"."""
    context = report_context(rows, unit=unit, year=year, today=today, pace=pace, lineage=lineage)
    if fmt == "pdf":
        content = write_pdf(context)
    else:
        content = docx.render(docx.template_bytes(QUOTA_REPORT, unit), context)
    reply = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    name = exports.filename(unit, year, fmt, today)
    reply["Content-Disposition"] = f'attachment; filename="{name}"'
    return reply
