"""Seed the national public holidays of Viet Nam, 2020-2030, for working-day deadlines.

The days off follow the Labour Code 2019, art. 112: New Year's Day (1/1); Tết Nguyên Đán, five
days around the first day of the lunar year; the Hùng Kings' day (10/3 lunar); 30/4; 1/5;
National Day 2/9 and the day before or after it (the one that makes a long weekend); from 2026
Vietnam Culture Day (24/11, Resolution 80-NQ/TW). A holiday falling on a weekend gives a
compensatory day off (nghỉ bù) on the next working day, and the government's announced swaps
(e.g. 29/4/2024, 2/5/2025, 31/8/2026) are included. Working Saturdays given in exchange
("làm bù") cannot be expressed here: weekends always count as days off.

The lunar dates come from the Vietnamese lunisolar calendar (UTC+7, which differs from the
Chinese one in some years: Tết 2030 is on 2 February in Viet Nam), as tabulated below; the
rows were checked against the python-holidays project's Vietnam calendar and the published
schedules of the years already past (Tết 2021: 10-16/2; 2023: 20-26/1; 2024: 8-14/2;
2026: 16-20/2 on weekdays). Staff extend or correct the table in the admin.
"""

from datetime import date

from django.db import migrations

# The first day of the lunar year (mùng 1 Tết) and the Hùng Kings' day (10/3 lunar).
LUNAR_NEW_YEAR = {
    2020: "2020-01-25",
    2021: "2021-02-12",
    2022: "2022-02-01",
    2023: "2023-01-22",
    2024: "2024-02-10",
    2025: "2025-01-29",
    2026: "2026-02-17",
    2027: "2027-02-06",
    2028: "2028-01-26",
    2029: "2029-02-13",
    2030: "2030-02-02",
}
HUNG_KINGS = {
    2020: "2020-04-02",
    2021: "2021-04-21",
    2022: "2022-04-10",
    2023: "2023-04-29",
    2024: "2024-04-18",
    2025: "2025-04-07",
    2026: "2026-04-26",
    2027: "2027-04-16",
    2028: "2028-04-04",
    2029: "2029-04-23",
    2030: "2030-04-12",
}

HOLIDAYS = [
    ("2020-01-01", "Tết Dương lịch"),  # Wed
    ("2020-01-23", "29 Tết"),  # Thu
    ("2020-01-24", "Giao thừa Tết Nguyên Đán"),  # Fri
    ("2020-01-25", "Tết Nguyên Đán"),  # Sat
    ("2020-01-26", "Mùng hai Tết Nguyên Đán"),  # Sun
    ("2020-01-27", "Mùng ba Tết Nguyên Đán"),  # Mon
    ("2020-01-28", "Mùng bốn Tết Nguyên Đán"),  # Tue
    ("2020-01-29", "Mùng năm Tết Nguyên Đán"),  # Wed
    ("2020-04-02", "Ngày Giỗ Tổ Hùng Vương"),  # Thu
    ("2020-04-30", "Ngày Chiến thắng"),  # Thu
    ("2020-05-01", "Ngày Quốc tế Lao động"),  # Fri
    ("2020-09-02", "Quốc khánh"),  # Wed
    ("2021-01-01", "Tết Dương lịch"),  # Fri
    ("2021-02-10", "29 Tết"),  # Wed
    ("2021-02-11", "Giao thừa Tết Nguyên Đán"),  # Thu
    ("2021-02-12", "Tết Nguyên Đán"),  # Fri
    ("2021-02-13", "Mùng hai Tết Nguyên Đán"),  # Sat
    ("2021-02-14", "Mùng ba Tết Nguyên Đán"),  # Sun
    ("2021-02-15", "Mùng bốn Tết Nguyên Đán"),  # Mon
    ("2021-02-16", "Mùng năm Tết Nguyên Đán"),  # Tue
    ("2021-04-21", "Ngày Giỗ Tổ Hùng Vương"),  # Wed
    ("2021-04-30", "Ngày Chiến thắng"),  # Fri
    ("2021-05-01", "Ngày Quốc tế Lao động"),  # Sat
    ("2021-05-03", "Ngày Quốc tế Lao động (nghỉ bù)"),  # Mon
    ("2021-09-02", "Quốc khánh"),  # Thu
    ("2021-09-03", "Quốc khánh"),  # Fri
    ("2022-01-01", "Tết Dương lịch"),  # Sat
    ("2022-01-03", "Tết Dương lịch (nghỉ bù)"),  # Mon
    ("2022-01-31", "Giao thừa Tết Nguyên Đán"),  # Mon
    ("2022-02-01", "Tết Nguyên Đán"),  # Tue
    ("2022-02-02", "Mùng hai Tết Nguyên Đán"),  # Wed
    ("2022-02-03", "Mùng ba Tết Nguyên Đán"),  # Thu
    ("2022-02-04", "Mùng bốn Tết Nguyên Đán"),  # Fri
    ("2022-04-10", "Ngày Giỗ Tổ Hùng Vương"),  # Sun
    ("2022-04-11", "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),  # Mon
    ("2022-04-30", "Ngày Chiến thắng"),  # Sat
    ("2022-05-01", "Ngày Quốc tế Lao động"),  # Sun
    ("2022-05-02", "Ngày Chiến thắng (nghỉ bù)"),  # Mon
    ("2022-05-03", "Ngày Quốc tế Lao động (nghỉ bù)"),  # Tue
    ("2022-09-01", "Quốc khánh"),  # Thu
    ("2022-09-02", "Quốc khánh"),  # Fri
    ("2023-01-01", "Tết Dương lịch"),  # Sun
    ("2023-01-02", "Tết Dương lịch (nghỉ bù)"),  # Mon
    ("2023-01-20", "29 Tết"),  # Fri
    ("2023-01-21", "Giao thừa Tết Nguyên Đán"),  # Sat
    ("2023-01-22", "Tết Nguyên Đán"),  # Sun
    ("2023-01-23", "Mùng hai Tết Nguyên Đán"),  # Mon
    ("2023-01-24", "Mùng ba Tết Nguyên Đán"),  # Tue
    ("2023-01-25", "Mùng bốn Tết Nguyên Đán"),  # Wed
    ("2023-01-26", "Mùng năm Tết Nguyên Đán"),  # Thu
    ("2023-04-29", "Ngày Giỗ Tổ Hùng Vương"),  # Sat
    ("2023-04-30", "Ngày Chiến thắng"),  # Sun
    ("2023-05-01", "Ngày Quốc tế Lao động"),  # Mon
    ("2023-05-02", "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),  # Tue
    ("2023-05-03", "Ngày Chiến thắng (nghỉ bù)"),  # Wed
    ("2023-09-01", "Quốc khánh"),  # Fri
    ("2023-09-02", "Quốc khánh"),  # Sat
    ("2023-09-04", "Quốc khánh (nghỉ bù)"),  # Mon
    ("2024-01-01", "Tết Dương lịch"),  # Mon
    ("2024-02-08", "29 Tết"),  # Thu
    ("2024-02-09", "Giao thừa Tết Nguyên Đán"),  # Fri
    ("2024-02-10", "Tết Nguyên Đán"),  # Sat
    ("2024-02-11", "Mùng hai Tết Nguyên Đán"),  # Sun
    ("2024-02-12", "Mùng ba Tết Nguyên Đán"),  # Mon
    ("2024-02-13", "Mùng bốn Tết Nguyên Đán"),  # Tue
    ("2024-02-14", "Mùng năm Tết Nguyên Đán"),  # Wed
    ("2024-04-18", "Ngày Giỗ Tổ Hùng Vương"),  # Thu
    ("2024-04-29", "Ngày nghỉ (thay cho ngày 04/05/2024)"),  # Mon
    ("2024-04-30", "Ngày Chiến thắng"),  # Tue
    ("2024-05-01", "Ngày Quốc tế Lao động"),  # Wed
    ("2024-09-02", "Quốc khánh"),  # Mon
    ("2024-09-03", "Quốc khánh"),  # Tue
    ("2025-01-01", "Tết Dương lịch"),  # Wed
    ("2025-01-27", "29 Tết"),  # Mon
    ("2025-01-28", "Giao thừa Tết Nguyên Đán"),  # Tue
    ("2025-01-29", "Tết Nguyên Đán"),  # Wed
    ("2025-01-30", "Mùng hai Tết Nguyên Đán"),  # Thu
    ("2025-01-31", "Mùng ba Tết Nguyên Đán"),  # Fri
    ("2025-02-01", "Mùng bốn Tết Nguyên Đán"),  # Sat
    ("2025-04-07", "Ngày Giỗ Tổ Hùng Vương"),  # Mon
    ("2025-04-30", "Ngày Chiến thắng"),  # Wed
    ("2025-05-01", "Ngày Quốc tế Lao động"),  # Thu
    ("2025-05-02", "Ngày nghỉ (thay cho ngày 26/04/2025)"),  # Fri
    ("2025-09-01", "Quốc khánh"),  # Mon
    ("2025-09-02", "Quốc khánh"),  # Tue
    ("2026-01-01", "Tết Dương lịch"),  # Thu
    ("2026-02-16", "Giao thừa Tết Nguyên Đán"),  # Mon
    ("2026-02-17", "Tết Nguyên Đán"),  # Tue
    ("2026-02-18", "Mùng hai Tết Nguyên Đán"),  # Wed
    ("2026-02-19", "Mùng ba Tết Nguyên Đán"),  # Thu
    ("2026-02-20", "Mùng bốn Tết Nguyên Đán"),  # Fri
    ("2026-04-26", "Ngày Giỗ Tổ Hùng Vương"),  # Sun
    ("2026-04-27", "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),  # Mon
    ("2026-04-30", "Ngày Chiến thắng"),  # Thu
    ("2026-05-01", "Ngày Quốc tế Lao động"),  # Fri
    ("2026-08-31", "Ngày nghỉ (thay cho ngày 22/08/2026)"),  # Mon
    ("2026-09-01", "Quốc khánh"),  # Tue
    ("2026-09-02", "Quốc khánh"),  # Wed
    ("2026-11-24", "Ngày Văn hóa Việt Nam"),  # Tue
    ("2027-01-01", "Tết Dương lịch"),  # Fri
    ("2027-02-04", "29 Tết"),  # Thu
    ("2027-02-05", "Giao thừa Tết Nguyên Đán"),  # Fri
    ("2027-02-06", "Tết Nguyên Đán"),  # Sat
    ("2027-02-07", "Mùng hai Tết Nguyên Đán"),  # Sun
    ("2027-02-08", "Mùng ba Tết Nguyên Đán"),  # Mon
    ("2027-02-09", "Mùng bốn Tết Nguyên Đán"),  # Tue
    ("2027-02-10", "Mùng năm Tết Nguyên Đán"),  # Wed
    ("2027-04-16", "Ngày Giỗ Tổ Hùng Vương"),  # Fri
    ("2027-04-30", "Ngày Chiến thắng"),  # Fri
    ("2027-05-01", "Ngày Quốc tế Lao động"),  # Sat
    ("2027-05-03", "Ngày Quốc tế Lao động (nghỉ bù)"),  # Mon
    ("2027-09-02", "Quốc khánh"),  # Thu
    ("2027-09-03", "Quốc khánh"),  # Fri
    ("2027-11-24", "Ngày Văn hóa Việt Nam"),  # Wed
    ("2028-01-01", "Tết Dương lịch"),  # Sat
    ("2028-01-03", "Tết Dương lịch (nghỉ bù)"),  # Mon
    ("2028-01-24", "29 Tết"),  # Mon
    ("2028-01-25", "Giao thừa Tết Nguyên Đán"),  # Tue
    ("2028-01-26", "Tết Nguyên Đán"),  # Wed
    ("2028-01-27", "Mùng hai Tết Nguyên Đán"),  # Thu
    ("2028-01-28", "Mùng ba Tết Nguyên Đán"),  # Fri
    ("2028-01-29", "Mùng bốn Tết Nguyên Đán"),  # Sat
    ("2028-04-04", "Ngày Giỗ Tổ Hùng Vương"),  # Tue
    ("2028-04-30", "Ngày Chiến thắng"),  # Sun
    ("2028-05-01", "Ngày Quốc tế Lao động"),  # Mon
    ("2028-05-02", "Ngày Chiến thắng (nghỉ bù)"),  # Tue
    ("2028-09-01", "Quốc khánh"),  # Fri
    ("2028-09-02", "Quốc khánh"),  # Sat
    ("2028-09-04", "Quốc khánh (nghỉ bù)"),  # Mon
    ("2028-11-24", "Ngày Văn hóa Việt Nam"),  # Fri
    ("2029-01-01", "Tết Dương lịch"),  # Mon
    ("2029-02-12", "Giao thừa Tết Nguyên Đán"),  # Mon
    ("2029-02-13", "Tết Nguyên Đán"),  # Tue
    ("2029-02-14", "Mùng hai Tết Nguyên Đán"),  # Wed
    ("2029-02-15", "Mùng ba Tết Nguyên Đán"),  # Thu
    ("2029-02-16", "Mùng bốn Tết Nguyên Đán"),  # Fri
    ("2029-04-23", "Ngày Giỗ Tổ Hùng Vương"),  # Mon
    ("2029-04-30", "Ngày Chiến thắng"),  # Mon
    ("2029-05-01", "Ngày Quốc tế Lao động"),  # Tue
    ("2029-09-02", "Quốc khánh"),  # Sun
    ("2029-09-03", "Quốc khánh"),  # Mon
    ("2029-09-04", "Quốc khánh (nghỉ bù)"),  # Tue
    ("2029-11-24", "Ngày Văn hóa Việt Nam"),  # Sat
    ("2029-11-26", "Ngày Văn hóa Việt Nam (nghỉ bù)"),  # Mon
    ("2030-01-01", "Tết Dương lịch"),  # Tue
    ("2030-01-31", "29 Tết"),  # Thu
    ("2030-02-01", "Giao thừa Tết Nguyên Đán"),  # Fri
    ("2030-02-02", "Tết Nguyên Đán"),  # Sat
    ("2030-02-03", "Mùng hai Tết Nguyên Đán"),  # Sun
    ("2030-02-04", "Mùng ba Tết Nguyên Đán"),  # Mon
    ("2030-02-05", "Mùng bốn Tết Nguyên Đán"),  # Tue
    ("2030-02-06", "Mùng năm Tết Nguyên Đán"),  # Wed
    ("2030-04-12", "Ngày Giỗ Tổ Hùng Vương"),  # Fri
    ("2030-04-30", "Ngày Chiến thắng"),  # Tue
    ("2030-05-01", "Ngày Quốc tế Lao động"),  # Wed
    ("2030-09-02", "Quốc khánh"),  # Mon
    ("2030-09-03", "Quốc khánh"),  # Tue
    ("2030-11-24", "Ngày Văn hóa Việt Nam"),  # Sun
    ("2030-11-25", "Ngày Văn hóa Việt Nam (nghỉ bù)"),  # Mon
]


def seed(apps, schema_editor):
    Holiday = apps.get_model("recruitment", "Holiday")
    existing = set(Holiday.objects.filter(unit__isnull=True).values_list("day", flat=True))
    Holiday.objects.bulk_create(
        Holiday(day=date.fromisoformat(day), name=name)
        for day, name in HOLIDAYS
        if date.fromisoformat(day) not in existing
    )


def unseed(apps, schema_editor):
    Holiday = apps.get_model("recruitment", "Holiday")
    days = [date.fromisoformat(day) for day, _name in HOLIDAYS]
    Holiday.objects.filter(unit__isnull=True, day__in=days).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0002_holiday"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
