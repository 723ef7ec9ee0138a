"""Files for the importer's tests: CSV and XLSX built in memory, as offices save them."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from recruitment.imports import runner
from recruitment.imports.models import ImportJob

CANDIDATE_HEADER = [
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số CCCD",
    "Mã đơn vị",
    "Nguồn",
]


def csv_bytes(rows: list[list], *, encoding="utf-8-sig", delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], *, title="Sheet1", before=None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    if before:
        before(sheet)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def candidate_rows(unit_code: str, count: int = 2, start: int = 0) -> list[list]:
    rows = [list(CANDIDATE_HEADER)]
    for n in range(start, start + count):
        rows.append(
            [
                f"Nguyễn Văn Nhập {n}",
                f"{(n % 27) + 1:02d}/0{(n % 9) + 1}/1995",
                "Nam" if n % 2 else "Nữ",
                f"0931950{n:05d}",
                unit_code,
                "Đoàn viên",
            ]
        )
    return rows


def make_job(user, content: bytes, *, kind="candidates", name="ds.csv", **fields) -> ImportJob:
    return ImportJob.objects.create(
        kind=kind,
        file_name=name,
        content=content,
        size=len(content),
        by=user,
        **{"language": "vi", **fields},
    )


def check(user, content: bytes, **kwargs) -> ImportJob:
    job = make_job(user, content, **kwargs)
    runner.check(job)
    job.refresh_from_db()
    return job


def check_and_commit(user, content: bytes, *, only_valid=False, **kwargs) -> ImportJob:
    job = check(user, content, **kwargs)
    job.only_valid = only_valid
    runner.commit(job)
    job.refresh_from_db()
    return job


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def problem_texts(job: ImportJob) -> list[str]:
    from recruitment.views.imports import problem_lines

    return [line["text"] for line in problem_lines(job)]
