"""Build the DOCX templates of recruitment/documents/templates/ (python-docx).

    .venv/bin/python scripts/build_document_templates.py

The files it writes are ordinary Word documents: a clerk may open one in Word, change the
wording and keep the {{ … }} tags (README, "Paperwork"), and a unit may upload its own
version in the admin. This script is how the shipped versions are regenerated after a change
of layout; running it overwrites the files.

Layout: A4, Times New Roman 14 (13 in tables), margins 20 mm top and bottom, 30 mm left, 15 mm
right, the issuing body top left with its number line and "ĐẢNG CỘNG SẢN VIỆT NAM" with the
place and date top right, as party documents are laid out.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

OUT = Path(__file__).resolve().parent.parent / "recruitment" / "documents" / "templates"
FONT = "Times New Roman"
DOTS = "……………………………………………………………………………………………"

CENTER = WD_ALIGN_PARAGRAPH.CENTER
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY
LEFT = WD_ALIGN_PARAGRAPH.LEFT


def new_document() -> Document:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    style.paragraph_format.space_after = Pt(3)
    return document


def para(
    container,
    text: str = "",
    *,
    bold=False,
    italic=False,
    underline=False,
    align=JUSTIFY,
    indent=True,
    size=None,
):
    """One paragraph of one run: a Jinja tag must not be split across runs."""
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    if indent and align == JUSTIFY:
        paragraph.paragraph_format.first_line_indent = Mm(10)
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    if size:
        run.font.size = Pt(size)
    return paragraph


def tag(container, text: str):
    """A paragraph holding only a docxtpl paragraph tag ({%p … %}): it disappears."""
    return para(container, text, align=LEFT, indent=False)


def _borderless(table):
    borders = table._tbl.tblPr.first_child_found_in("w:tblBorders")
    if borders is not None:
        table._tbl.tblPr.remove(borders)
    table.style = None


def cell_lines(cell, lines):
    """``lines``: (text, bold, italic, underline) in a table cell, centred."""
    cell.paragraphs[0].text = ""
    first = True
    for text, bold, italic, underline in lines:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        paragraph.alignment = CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline


def heading(document, left: list[str], number: str, date_line: str, right_top=None):
    """The two columns at the head of a party document."""
    table = document.add_table(rows=1, cols=2)
    _borderless(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left_lines = [(line, i == len(left) - 1, False, False) for i, line in enumerate(left)]
    left_lines.append(("*", False, False, False))
    if number:
        left_lines.append((number, False, False, False))
    cell_lines(table.cell(0, 0), left_lines)
    cell_lines(
        table.cell(0, 1),
        [
            (right_top or "ĐẢNG CỘNG SẢN VIỆT NAM", True, False, True),
            ("", False, False, False),
            (date_line, False, True, False),
        ],
    )
    for cell, width in zip(table.rows[0].cells, (Mm(75), Mm(90)), strict=True):
        cell.width = width
    para(document, "", indent=False)


def party_top(document, date_line: str):
    """Forms written by a person: only "ĐẢNG CỘNG SẢN VIỆT NAM" and the place and date."""
    para(document, "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True, underline=True, align=CENTER)
    para(document, date_line, italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT)


def title(document, *lines: str):
    for i, line in enumerate(lines):
        para(document, line, bold=True, align=CENTER, size=15 if i == 0 else 14)
    para(document, "-----", align=CENTER)


def signature(document, lines: list[str], name: str, recipients: list[str] | None = None):
    """The signature block on the right; "Nơi nhận" on the left when there is one."""
    table = document.add_table(rows=1, cols=2)
    _borderless(table)
    left = table.cell(0, 0)
    if recipients:
        left.paragraphs[0].text = ""
        run = left.paragraphs[0].add_run("Nơi nhận:")
        run.bold, run.italic, run.underline = True, True, True
        for line in recipients:
            paragraph = left.add_paragraph()
            paragraph.paragraph_format.space_after = Pt(0)
            run = paragraph.add_run(line)
            run.font.size = Pt(12)
    right_lines = [(line, True, False, False) for line in lines]
    right_lines += [("", False, False, False)] * 3 + [(name, True, False, False)]
    cell_lines(table.cell(0, 1), right_lines)


def dotted_lines(document, n: int):
    for _ in range(n):
        para(document, DOTS, indent=False)


def date_line(place: str, dated: str) -> str:
    return (
        f"{place}, ngày {{{{ {dated}.day }}}} tháng {{{{ {dated}.month }}}} "
        f"năm {{{{ {dated}.year }}}}"
    )


UNDATED = "{{ place }}, ngày …… tháng …… năm ……"
BIRTH = "sinh ngày {{ birth.day }} tháng {{ birth.month }} năm {{ birth.year }}"
CELL_HEAD = ["{{ committee_upper }}", "{{ cell_upper }}"]


def person_lines(document):
    para(document, "Họ và tên: {{ name }}; giới tính: {{ gender }}; " + BIRTH + ".")
    para(document, "Dân tộc: {{ ethnicity }}; tôn giáo: {{ religion }}.")
    para(document, "Nơi cư trú: {{ residence }}.")
    para(document, "Nghề nghiệp: {{ occupation }}; nơi làm việc: {{ workplace }}.")
    para(document, "Trình độ học vấn: {{ education }}.")


# --- the forms -----------------------------------------------------------------------------


def form_3():
    """Mẫu 3-KNĐ: one letter per introducer, each on its own page."""
    document = new_document()
    tag(document, "{%p for i in introducers %}")
    paragraph = document.add_paragraph()
    paragraph.add_run("{%r if not loop.first %}")
    paragraph.add_run().add_break(WD_BREAK.PAGE)
    paragraph.add_run("{%r endif %}")
    para(document, "Mẫu 3-KNĐ", italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    party_top(document, UNDATED)
    title(document, "GIẤY GIỚI THIỆU NGƯỜI VÀO ĐẢNG")
    para(document, "Kính gửi: {{ cell }}", bold=True, align=CENTER)
    para(document, "Tôi là: {{ i.name }}, đảng viên chính thức, sinh hoạt tại {{ i.unit }}.")
    para(
        document,
        "Được phân công giới thiệu từ ngày {{ i.since }}; cùng công tác hoặc sinh sống "
        "với người vào Đảng từ ngày {{ i.known_since }}.",
    )
    para(document, "Tôi giới thiệu quần chúng:", bold=True, indent=False)
    person_lines(document)
    para(
        document,
        "Đã học lớp bồi dưỡng nhận thức về Đảng, giấy chứng nhận số "
        "{{ certificate.number }} ngày {{ certificate.date }}.",
    )
    para(document, "Những ưu điểm, khuyết điểm chính của người vào Đảng:", bold=True, indent=False)
    dotted_lines(document, 4)
    para(document, "Tôi xin chịu trách nhiệm trước Đảng về sự giới thiệu của mình.")
    signature(document, ["NGƯỜI GIỚI THIỆU", "(Ký, ghi rõ họ tên)"], "{{ i.name }}")
    tag(document, "{%p endfor %}")
    return document


def form_4():
    document = new_document()
    para(document, "Mẫu 4-KNĐ", italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    heading(
        document,
        ["BAN CHẤP HÀNH ĐOÀN", "……………………"],
        "Số {{ youth_union_resolution.number }}",
        date_line("{{ place }}", "youth_union_resolution"),
        right_top="ĐOÀN TNCS HỒ CHÍ MINH",
    )
    title(document, "NGHỊ QUYẾT", "GIỚI THIỆU ĐOÀN VIÊN ƯU TÚ VÀO ĐẢNG")
    para(
        document,
        "Căn cứ Điều lệ Đảng Cộng sản Việt Nam và Điều lệ Đoàn Thanh niên Cộng sản Hồ Chí Minh;",
    )
    para(
        document,
        "Ngày {{ youth_union_resolution.day }} tháng {{ youth_union_resolution.month }} "
        "năm {{ youth_union_resolution.year }}, Ban Chấp hành Đoàn …………………… đã họp xét, "
        "giới thiệu đoàn viên ưu tú vào Đảng:",
    )
    person_lines(document)
    para(document, "Sinh hoạt tại: {{ cell }}.")
    para(
        document,
        "Tổng số ủy viên Ban Chấp hành: ……; có mặt: ……; tán thành: …… ; không tán thành: …….",
    )
    para(
        document,
        "Ban Chấp hành Đoàn giới thiệu đoàn viên {{ name }} để {{ cell }} xem xét, "
        "kết nạp vào Đảng Cộng sản Việt Nam.",
    )
    signature(
        document,
        ["T/M BAN CHẤP HÀNH", "BÍ THƯ"],
        "……………………",
        ["- {{ cell }},", "- Lưu."],
    )
    return document


def form_5():
    document = new_document()
    para(document, "Mẫu 5-KNĐ", italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    heading(document, CELL_HEAD, "", UNDATED)
    title(
        document,
        "TỔNG HỢP Ý KIẾN NHẬN XÉT",
        "của tổ chức đoàn thể chính trị - xã hội nơi làm việc và chi ủy (chi bộ)",
        "nơi cư trú đối với người vào Đảng",
    )
    para(
        document,
        "Chi bộ {{ cell }} tổng hợp ý kiến nhận xét đối với quần chúng {{ name }}, "
        + BIRTH
        + ", nơi cư trú: {{ residence }}, như sau:",
    )
    para(
        document,
        "1. Ý kiến nhận xét của tổ chức đoàn thể chính trị - xã hội nơi làm việc",
        bold=True,
        indent=False,
    )
    para(document, "Tổng số: ……; số tán thành: ……; số không tán thành: …….")
    dotted_lines(document, 3)
    para(document, "2. Ý kiến nhận xét của chi ủy (chi bộ) nơi cư trú", bold=True, indent=False)
    dotted_lines(document, 3)
    signature(
        document,
        ["T/M CHI ỦY (CHI BỘ)", "BÍ THƯ"],
        "{{ cell_head.signer }}",
        ["- {{ committee }},", "- Lưu chi bộ."],
    )
    return document


def form_6():
    document = new_document()
    para(document, "Mẫu 6-KNĐ", italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    heading(
        document,
        CELL_HEAD,
        "Số {{ cell_resolution.number }}",
        date_line("{{ place }}", "cell_resolution"),
    )
    title(document, "NGHỊ QUYẾT", "ĐỀ NGHỊ KẾT NẠP ĐẢNG VIÊN")
    para(
        document,
        "Ngày {{ cell_resolution.day }} tháng {{ cell_resolution.month }} năm "
        "{{ cell_resolution.year }}, {{ cell }} đã họp xét đơn xin vào Đảng của quần chúng:",
    )
    person_lines(document)
    para(
        document,
        "Đã học lớp bồi dưỡng nhận thức về Đảng, giấy chứng nhận số "
        "{{ certificate.number }} ngày {{ certificate.date }}.",
    )
    para(
        document,
        "Đơn xin vào Đảng ngày {{ application.date }}; lý lịch ngày "
        "{{ personal_history.date }}; thẩm tra lý lịch ngày {{ verification.date }}.",
    )
    para(
        document,
        "Đảng viên giới thiệu: {% for i in introducers %}{{ i.name }} ({{ i.unit }})"
        "{% if not loop.last %}; {% endif %}{% endfor %}.",
    )
    para(
        document,
        "{% if youth_union_member %}Nghị quyết giới thiệu của Ban Chấp hành Đoàn số "
        "{{ youth_union_resolution.number }} ngày {{ youth_union_resolution.date }}."
        "{% endif %}",
    )
    para(document, "Những ưu điểm, khuyết điểm chính:", bold=True, indent=False)
    dotted_lines(document, 3)
    para(
        document,
        "Tổng số đảng viên chính thức của chi bộ: {{ votes.total }}; số tán thành: "
        "{{ votes.for }} ({{ votes.percent }}); số không tán thành: {{ votes.against }}.",
    )
    para(
        document,
        "Chi bộ đề nghị {{ committee }} xem xét, đề nghị cấp trên quyết định kết nạp "
        "quần chúng {{ name }} vào Đảng Cộng sản Việt Nam.",
    )
    signature(
        document,
        ["T/M CHI BỘ", "BÍ THƯ"],
        "{{ cell_head.signer }}",
        ["- {{ committee }},", "- Lưu chi bộ."],
    )
    return document


def form_8():
    document = new_document()
    para(document, "Mẫu 8-KNĐ", italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    heading(document, ["{{ superior_upper }}", "{{ committee_head.name }}"], "Số ……………", UNDATED)
    title(document, "NGHỊ QUYẾT", "ĐỀ NGHỊ KẾT NẠP ĐẢNG VIÊN")
    para(
        document,
        "Ngày …… tháng …… năm ……, {{ committee }} đã xét Nghị quyết số "
        "{{ cell_resolution.number }} ngày {{ cell_resolution.date }} của {{ cell }} đề nghị "
        "kết nạp quần chúng:",
    )
    person_lines(document)
    para(document, "Số cấp ủy viên: ……; có mặt: ……; tán thành: …… ; không tán thành: …….")
    para(
        document,
        "{{ committee }} đề nghị {{ superior }} xem xét, quyết định kết nạp quần "
        "chúng {{ name }} vào Đảng Cộng sản Việt Nam.",
    )
    signature(
        document,
        ["{{ committee_head.capacity }}", "{{ committee_head.title }}"],
        "{{ committee_head.signer }}",
        ["- {{ superior }},", "- {{ cell }},", "- Lưu."],
    )
    return document


def form_9():
    document = new_document()
    para(document, "Mẫu 9-KNĐ", italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    heading(
        document,
        ["{{ superior_head.name }}"],
        "Số {{ decision.number }}",
        date_line("{{ place }}", "decision"),
    )
    title(document, "QUYẾT ĐỊNH", "KẾT NẠP ĐẢNG VIÊN")
    para(document, "- Căn cứ Điều lệ Đảng Cộng sản Việt Nam;")
    para(document, "- Căn cứ Quy định và Hướng dẫn thi hành Điều lệ Đảng;")
    para(
        document,
        "- Xét Nghị quyết đề nghị kết nạp đảng viên của {{ committee }} và Nghị quyết "
        "số {{ cell_resolution.number }} ngày {{ cell_resolution.date }} của {{ cell }},",
    )
    para(document, "{{ superior_head.name }}", bold=True, align=CENTER)
    para(document, "QUYẾT ĐỊNH", bold=True, align=CENTER)
    para(
        document,
        "Điều 1. Kết nạp quần chúng {{ name }}, " + BIRTH + ", nơi cư trú: "
        "{{ residence }}, nghề nghiệp: {{ occupation }}, vào Đảng Cộng sản Việt Nam. Thời gian "
        "dự bị 12 tháng, kể từ ngày chi bộ tổ chức lễ kết nạp.",
    )
    para(document, "Điều 2. {{ cell }} và đồng chí {{ name }} thi hành Quyết định này.")
    signature(
        document,
        ["{{ superior_head.capacity }}", "{{ superior_head.title }}"],
        "{{ superior_head.signer }}",
        ["- Như Điều 2,", "- {{ committee }},", "- Lưu hồ sơ đảng viên."],
    )
    return document


def form_11():
    document = new_document()
    para(document, "Mẫu 11-KNĐ", italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    party_top(document, UNDATED)
    title(document, "BẢN NHẬN XÉT ĐẢNG VIÊN DỰ BỊ")
    para(document, "Kính gửi: {{ cell }}", bold=True, align=CENTER)
    para(
        document,
        "Tôi là: {{ mentor.name }}, đảng viên chính thức, sinh hoạt tại "
        "{{ mentor.unit }}, được chi bộ phân công giúp đỡ đảng viên dự bị {{ name }}, "
        + BIRTH
        + ".",
    )
    para(
        document,
        "Đồng chí {{ name }} được kết nạp vào Đảng theo Quyết định số "
        "{{ decision.number }} ngày {{ decision.date }}; lễ kết nạp ngày {{ ceremony.date }}; "
        "hết thời gian dự bị ngày {{ probation_end }}.",
    )
    para(document, "Tôi nhận xét như sau:", bold=True, indent=False)
    para(document, "1. Ưu điểm:", indent=False)
    dotted_lines(document, 3)
    para(document, "2. Khuyết điểm:", indent=False)
    dotted_lines(document, 2)
    para(document, "3. Đề nghị:", indent=False)
    dotted_lines(document, 2)
    signature(document, ["NGƯỜI NHẬN XÉT", "(Ký, ghi rõ họ tên)"], "{{ mentor.name }}")
    return document


def form_13():
    document = new_document()
    para(document, "Mẫu 13-KNĐ", italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    heading(document, CELL_HEAD, "Số ……………", date_line("{{ place }}", "recognition_resolution"))
    title(document, "NGHỊ QUYẾT", "ĐỀ NGHỊ CÔNG NHẬN ĐẢNG VIÊN CHÍNH THỨC")
    para(
        document,
        "Ngày {{ recognition_resolution.day }} tháng {{ recognition_resolution.month }}"
        " năm {{ recognition_resolution.year }}, {{ cell }} đã họp xét đề nghị công nhận đảng "
        "viên chính thức cho đảng viên dự bị {{ name }}, " + BIRTH + ".",
    )
    para(
        document,
        "Được kết nạp vào Đảng theo Quyết định số {{ decision.number }} ngày "
        "{{ decision.date }}; lễ kết nạp ngày {{ ceremony.date }}; hết thời gian dự bị ngày "
        "{{ probation_end }}. Đảng viên giúp đỡ: {{ mentor.name }}.",
    )
    para(
        document, "Những ưu điểm, khuyết điểm chính trong thời gian dự bị:", bold=True, indent=False
    )
    dotted_lines(document, 3)
    para(
        document,
        "Tổng số đảng viên chính thức của chi bộ: ……; số tán thành: ……; số không tán thành: …….",
    )
    para(
        document,
        "Chi bộ đề nghị {{ committee }} xem xét, đề nghị cấp trên quyết định công "
        "nhận đồng chí {{ name }} là đảng viên chính thức.",
    )
    signature(
        document,
        ["T/M CHI BỘ", "BÍ THƯ"],
        "{{ cell_head.signer }}",
        ["- {{ committee }},", "- Lưu chi bộ."],
    )
    return document


def form_16():
    document = new_document()
    para(document, "Mẫu 16-KNĐ", italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    heading(document, ["{{ superior_head.name }}"], "Số ……………", UNDATED)
    title(document, "QUYẾT ĐỊNH", "CÔNG NHẬN ĐẢNG VIÊN CHÍNH THỨC")
    para(document, "- Căn cứ Điều lệ Đảng Cộng sản Việt Nam;")
    para(document, "- Căn cứ Quy định và Hướng dẫn thi hành Điều lệ Đảng;")
    para(
        document,
        "- Xét Nghị quyết đề nghị của {{ committee }} và Nghị quyết ngày "
        "{{ recognition_resolution.date }} của {{ cell }},",
    )
    para(document, "{{ superior_head.name }}", bold=True, align=CENTER)
    para(document, "QUYẾT ĐỊNH", bold=True, align=CENTER)
    para(
        document,
        "Điều 1. Công nhận đồng chí {{ name }}, " + BIRTH + ", kết nạp vào Đảng theo "
        "Quyết định số {{ decision.number }} ngày {{ decision.date }}, là đảng viên chính thức "
        "của Đảng Cộng sản Việt Nam từ ngày {{ official.date }}.",
    )
    para(document, "Điều 2. {{ cell }} và đồng chí {{ name }} thi hành Quyết định này.")
    signature(
        document,
        ["{{ superior_head.capacity }}", "{{ superior_head.title }}"],
        "{{ superior_head.signer }}",
        ["- Như Điều 2,", "- {{ committee }},", "- Lưu hồ sơ đảng viên."],
    )
    return document


def quota_report():
    """The quota report (dashboard ``&format=docx``); see recruitment/documents/report.py."""
    document = new_document()
    heading(
        document,
        ["{{ parent_upper }}", "{{ head.name }}"],
        "Số {{ head.report_number }}",
        "{{ head.place }}, ngày {{ issued.day }} tháng {{ issued.month }} năm {{ issued.year }}",
    )
    title(document, "BÁO CÁO", "KẾT QUẢ KẾT NẠP ĐẢNG VIÊN NĂM {{ year }}")
    para(document, "{{ summary }}")
    para(document, "{{ pace }}")
    para(document, "{{ composition }}")
    table = document.add_table(rows=4, cols=5)
    table.style = "Table Grid"
    heads = ["Đơn vị", "Chỉ tiêu", "Đã kết nạp", "Tỉ lệ", "Đạt"]
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        cell.paragraphs[0].text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(13)
        cell.paragraphs[0].alignment = CENTER
    table.cell(1, 0).paragraphs[0].add_run("{%tr for row in rows %}")
    values = ["{{ row.unit }}", "{{ row.quota }}", "{{ row.admitted }}", "{{ row.ratio }}",
              "{{ row.percent }}"]  # fmt: skip
    for i, (cell, text) in enumerate(zip(table.rows[2].cells, values, strict=True)):
        run = cell.paragraphs[0].add_run(text)
        run.font.size = Pt(13)
        cell.paragraphs[0].alignment = LEFT if i == 0 else CENTER
    table.cell(3, 0).paragraphs[0].add_run("{%tr endfor %}")
    for row in table.rows:
        for cell, width in zip(row.cells, (Mm(75), Mm(22), Mm(25), Mm(22), Mm(21)), strict=True):
            cell.width = width
    para(document, "", indent=False)
    signature(
        document,
        ["{{ head.capacity }}", "{{ head.title }}"],
        "{{ head.signer }}",
        ["{%p for line in head.recipients %}", "{{ line }}", "{%p endfor %}"],
    )
    return document


BUILDERS = {
    "3-KND.docx": form_3,
    "4-KND.docx": form_4,
    "5-KND.docx": form_5,
    "6-KND.docx": form_6,
    "8-KND.docx": form_8,
    "9-KND.docx": form_9,
    "11-KND.docx": form_11,
    "13-KND.docx": form_13,
    "16-KND.docx": form_16,
    "quota-report.docx": quota_report,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, build in BUILDERS.items():
        document = build()
        core = document.core_properties
        core.author = core.last_modified_by = "recruitment-tracker"
        core.title = name.removesuffix(".docx")
        document.save(OUT / name)
        print(OUT / name)


if __name__ == "__main__":
    main()
