"""Build the demo scenario of ``fixtures/vi_thanh.json`` (DESIGN.md §6).

Every candidate goes through the real pipeline (``pipeline.move``) with the dates of its
paperwork, so the demo's stage history is what the app itself would have written. Rows
are keyed (unit codes, citizen IDs, usernames), so loading twice changes nothing.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from recruitment import pipeline, services, yearend
from recruitment.dates import add_months, add_years
from recruitment.models import (
    Candidate,
    Education,
    Enrolment,
    Gender,
    Organisation,
    PartyMember,
    Quota,
    Reorganisation,
    Source,
    Sponsorship,
    TrainingClass,
    UnitSuccession,
)
from recruitment.stages import Stage

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "vi_thanh.json"
REORGANISATION_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "reorganisation_2025.json"
DEMO_PASSWORD = "demo"
MEMBERS_PER_CELL = 4
PROVINCE_CODE = "093"  # the first digits of citizen IDs issued in Hậu Giang

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = {Gender.MALE: ["Văn", "Đức", "Minh", "Hoàng", "Quốc", "Thanh"],
          Gender.FEMALE: ["Thị", "Ngọc", "Thu", "Kim", "Mỹ", "Thanh"]}  # fmt: skip
GIVEN = {
    Gender.MALE: ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc",
                  "Quang", "Sơn", "Tài", "Thắng", "Tuấn", "Vinh"],
    Gender.FEMALE: ["Anh", "Châu", "Diễm", "Hà", "Hạnh", "Hương", "Lan", "Linh", "Mai", "Ngân",
                    "Nhung", "Phương", "Thảo", "Trang", "Vy", "Yến"],
}  # fmt: skip
ETHNICITIES = ["Kinh"] * 8 + ["Khmer", "Hoa"]
RELIGIONS = [""] * 6 + ["Phật giáo", "Công giáo", "Cao Đài", "Phật giáo Hòa Hảo"]


@dataclass
class Summary:
    created: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, n: int = 1) -> None:
        if n:
            self.created[kind] = self.created.get(kind, 0) + n


class DemoBuilder:
    def __init__(self, data: dict, today: date):
        self.data = data
        self.today = today
        self.rng = random.Random(2021)
        self.units: dict[str, Organisation] = {}
        self.classes: dict[str, TrainingClass] = {}
        self.members: dict[str, list[PartyMember]] = {}
        self.summary = Summary()
        self.serial = 0  # certificate and decision numbers
        self.candidate_serial = 0  # citizen IDs

    # --- helpers -----------------------------------------------------------------------

    @staticmethod
    def _name(rng: random.Random, gender: str) -> str:
        return " ".join([rng.choice(FAMILY), rng.choice(MIDDLE[gender]), rng.choice(GIVEN[gender])])

    def _days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    # --- units, classes, members, quotas, users -------------------------------------------

    def build_units(self, specs: list[dict], parent: Organisation | None = None) -> None:
        for spec in specs:
            unit = Organisation.objects.filter(code=spec["code"]).first()
            if unit is None:
                values = {"code": spec["code"], "name": spec["name"], "kind": spec["kind"]}
                unit = (
                    Organisation.objects.add_child(parent, values)
                    if parent
                    else Organisation.objects.add_root(values)
                )
                parent = Organisation.objects.get(pk=parent.pk) if parent else None
                self.summary.count("units")
            self.units[unit.code] = unit
            self.build_units(spec.get("children", []), unit)

    def build_classes(self) -> None:
        for spec in self.data["training_classes"]:
            if "starts_on" in spec:
                starts_on = date.fromisoformat(spec["starts_on"])
                ends_on = date.fromisoformat(spec["ends_on"])
            else:
                starts_on = self._days_ago(spec["starts_on_days_ago"])
                ends_on = starts_on + timedelta(days=spec["length_days"])
            training_class, created = TrainingClass.objects.get_or_create(
                title=spec["title"],
                unit=self.units[spec["unit"]],
                defaults={"starts_on": starts_on, "ends_on": ends_on, "place": spec["place"]},
            )
            self.summary.count("training classes", created)
            self.classes[spec["key"]] = training_class

    def build_members(self) -> None:
        cells = [
            u
            for u in self.units.values()
            if u.kind in (Organisation.Kind.CELL, Organisation.Kind.GRASSROOTS_CELL)
        ]
        for cell in cells:
            existing = list(PartyMember.objects.filter(unit=cell, candidate__isnull=True))
            while len(existing) < MEMBERS_PER_CELL:
                gender = self.rng.choice(Gender.values)
                admitted = date(2004 + self.rng.randrange(8), 1 + self.rng.randrange(12), 15)
                member = PartyMember(
                    full_name=self._name(self.rng, gender),
                    unit=cell,
                    admitted_on=admitted,
                    official_on=add_months(admitted, 13),
                )
                member.full_clean()
                member.save()
                existing.append(member)
                self.summary.count("party members")
            self.members[cell.code] = existing

    def build_quotas(self) -> None:
        for year, targets in self.data["quotas"].items():
            for code, target in targets.items():
                _quota, created = Quota.objects.get_or_create(
                    unit=self.units[code], year=int(year), defaults={"target": target}
                )
                self.summary.count("quotas", created)

    def build_users(self) -> None:
        for spec in self.data["users"]:
            if User.objects.filter(username=spec["username"]).exists():
                continue
            user = User(
                username=spec["username"],
                first_name=spec.get("first_name", ""),
                last_name=spec.get("last_name", ""),
                is_superuser=spec.get("superuser", False),
                is_staff=spec.get("superuser", False),
                unit=self.units.get(spec.get("unit", "")),
                role=spec.get("role", User.Role.STAFF),
            )
            user.set_password(DEMO_PASSWORD)
            user.full_clean()
            user.save()
            self.summary.count("users")

    # --- candidates ---------------------------------------------------------------------

    def _new_candidate(self, slot: str, unit_code: str, *, on: date, **overrides):
        """A new candidate for the scenario's ``slot``; None if an earlier load made it.

        Each slot draws from its own random generator and gets the next citizen ID, so a
        second load finds the same people and creates nobody.
        """
        rng = random.Random(slot)
        self.candidate_serial += 1
        gender = overrides.pop("gender", None) or rng.choice(Gender.values)
        born = overrides.pop("date_of_birth", None) or date(
            1984 + rng.randrange(18), 1 + rng.randrange(12), 1 + rng.randrange(28)
        )
        citizen_id = overrides.pop("citizen_id", None) or (
            f"{PROVINCE_CODE}{born.year % 100:02d}{self.candidate_serial:07d}"
        )
        full_name = overrides.pop("full_name", None) or self._name(rng, gender)
        if Candidate.objects.filter(citizen_id=citizen_id).exists():
            return None
        source = overrides.pop("source", None) or rng.choice(Source.values)
        values = {
            "full_name": full_name,
            "date_of_birth": born,
            "gender": gender,
            "citizen_id": citizen_id,
            "unit": self.units[unit_code],
            "source": source,
            "youth_union_member": source == Source.YOUTH_UNION or rng.random() < 0.2,
            "ethnicity": rng.choice(ETHNICITIES),
            "religion": rng.choice(RELIGIONS),
            "education": rng.choice(
                [Education.UPPER_SECONDARY] * 3 + [Education.UNIVERSITY, Education.COLLEGE]
            ),
            "private_enterprise": rng.random() < 0.2,
            "works_away": rng.random() < 0.15,
            "residence": self.units[unit_code].name,
        }
        values.update(overrides)
        candidate = services.create_candidate(on=on, **values)
        self.summary.count("candidates")
        return candidate

    def _mentor(self, candidate: Candidate, on: date) -> None:
        services.add_sponsor(
            candidate=candidate,
            member=self.members[candidate.unit.code][0],
            role=Sponsorship.Role.MENTOR,
            assigned_on=on,
        )

    def _train(self, candidate: Candidate, training_class: TrainingClass, passed: bool) -> None:
        services.enrol(
            candidates=[candidate], training_class=training_class, on=training_class.starts_on
        )
        if passed:
            self.serial += 1
            services.record_result(
                enrolment=candidate.enrolments.get(training_class=training_class),
                result=Enrolment.Result.PASSED,
                certificate_number=f"{training_class.ends_on.year}/{self.serial:05d}",
                certificate_on=training_class.ends_on,
            )

    def _dossier(self, candidate: Candidate, resolution_on: date, *, youth_route: bool) -> None:
        certificate_on = candidate.enrolments.get(result=Enrolment.Result.PASSED).certificate_on
        applied = max(certificate_on + timedelta(days=5), resolution_on - timedelta(days=60))
        introducers = self.members[candidate.unit.code][1 : 2 if youth_route else 3]
        for member in introducers:
            services.add_sponsor(
                candidate=candidate,
                member=member,
                role=Sponsorship.Role.INTRODUCER,
                assigned_on=applied,
                known_since=add_years(resolution_on, -3),
            )
        changes = {
            "application_on": applied,
            "personal_history_on": applied,
            "background_check_on": applied + timedelta(days=20),
        }
        if youth_route:
            changes["youth_union_resolution_on"] = applied
        pipeline.move(candidate, Stage.DOSSIER, on=changes["background_check_on"], changes=changes)

    def _propose(self, candidate: Candidate, resolution_on: date) -> None:
        members = pipeline.cell_members_on(candidate, resolution_on)
        pipeline.move(
            candidate,
            Stage.PROPOSED,
            changes={
                "cell_resolution_on": resolution_on,
                "cell_resolution_ref": f"{resolution_on.month:02d}-NQ/CB",
                "votes_for": members,
                "votes_total": members,
            },
        )

    def _admit(self, candidate: Candidate, decision_on: date, ceremony_on: date) -> None:
        self.serial += 1
        pipeline.move(
            candidate,
            Stage.ADMITTED,
            changes={
                "decision_number": f"{self.serial}-QĐ/TU",
                "decision_on": decision_on,
                "ceremony_on": ceremony_on,
            },
        )

    def admitted_candidate(
        self,
        slot: str,
        unit_code: str,
        decision_on: date,
        ceremony_on: date,
        class_key: str,
        recognised_on: date | None = None,
        youth_route: bool = False,
        **overrides,
    ) -> Candidate | None:
        training_class = self.classes[class_key]
        candidate = self._new_candidate(
            slot, unit_code, on=training_class.starts_on - timedelta(days=30), **overrides
        )
        if candidate is None:
            return None
        resolution_on = decision_on - timedelta(days=25)
        self._mentor(candidate, training_class.starts_on - timedelta(days=30))
        self._train(candidate, training_class, passed=True)
        self._dossier(candidate, resolution_on, youth_route=youth_route)
        self._propose(candidate, resolution_on)
        self._admit(candidate, decision_on, ceremony_on)
        if recognised_on is None:
            recognised_on = add_months(ceremony_on, 12) + timedelta(days=20)
        if recognised_on <= self.today:
            pipeline.move(
                candidate,
                Stage.RECOGNISED,
                changes={"recognition_resolution_on": recognised_on},
            )
        return candidate

    def build_admitted(self) -> None:
        for spec in self.data["named_candidates"]:
            spec = dict(spec)
            self.admitted_candidate(
                spec["citizen_id"],
                spec.pop("unit"),
                date.fromisoformat(spec.pop("decision_on")),
                date.fromisoformat(spec.pop("ceremony_on")),
                spec.pop("class"),
                recognised_on=date.fromisoformat(spec.pop("recognised_on")),
                youth_route=spec.pop("youth_union_resolution", False),
                date_of_birth=date.fromisoformat(spec.pop("date_of_birth")),
                ethnicity="Kinh",
                religion="",
                works_away=False,
                **spec,
            )
        for year_text, per_unit in self.data["admitted"].items():
            year = int(year_text)
            dropouts = self.data["dropped_out"].get(year_text, 0)
            index = 0
            for code, count in per_unit.items():
                for n in range(count):
                    decision_on = date(year, 1 + (index * 7) % 11, 10)
                    if year == 2020:
                        class_key = "2019"
                    elif decision_on < date(2021, 5, 1):
                        class_key = "2020"
                    else:
                        class_key = "2021"
                    candidate = self.admitted_candidate(
                        f"admitted/{year}/{code}/{n}",
                        code,
                        decision_on,
                        decision_on + timedelta(days=12),
                        class_key,
                    )
                    index += 1
                    if candidate is not None and dropouts:
                        dropouts -= 1
                        pipeline.move(
                            candidate,
                            Stage.DROPPED_OUT,
                            on=date(year + 2, 5, 10),
                            reason="Bỏ sinh hoạt đảng ba tháng liên tục",
                        )

    def build_withdrawn(self) -> None:
        """Candidates trained in 2020 who left before admission (work far away, moved, ...):
        they make each unit's conversion rate, and so its suggested quota, realistic."""
        reasons = ["Đi làm ăn xa, không sinh hoạt được", "Chuyển nơi cư trú", "Xin rút hồ sơ"]
        for code, count in self.data["withdrawn_after_training"].items():
            for n in range(count):
                training_class = self.classes["2020"]
                candidate = self._new_candidate(
                    f"withdrawn/{code}/{n}", code, on=training_class.starts_on - timedelta(days=30)
                )
                if candidate is None:
                    continue
                self._mentor(candidate, training_class.starts_on - timedelta(days=30))
                self._train(candidate, training_class, passed=True)
                pipeline.move(
                    candidate,
                    Stage.WITHDRAWN,
                    on=date(2021, 3 + n, 15),
                    reason=reasons[n % len(reasons)],
                )

    def build_probationary(self) -> None:
        """Members admitted in the last year or so, some due for recognition (dates count back
        from today, so the dashboard always has probation warnings to show)."""
        for code, days_list in self.data["probationary"].items():
            for n, days_ago in enumerate(days_list):
                decision_on = self._days_ago(days_ago)
                self.admitted_candidate(
                    f"probationary/{code}/{n}",
                    code,
                    decision_on,
                    decision_on + timedelta(days=12),
                    "recent" if days_ago < 180 else "old",
                    recognised_on=self.today + timedelta(days=1),  # not yet
                )

    def build_active(self) -> None:
        for code, stages in self.data["active"].items():
            for stage, count in stages.items():
                for n in range(count):
                    self.active_candidate(code, stage, n)

    def active_candidate(self, code: str, stage: str, n: int) -> None:
        """A candidate in the pipeline today; the dates count back from today.

        The second trained candidate of a cell holds a certificate about to lapse.
        """
        rng = random.Random(f"active/{code}/{stage}/{n}")
        lapsing = stage == Stage.TRAINED and n == 1
        lapse_class = self.classes["old"]
        training_class = lapse_class if lapsing else self.classes["recent"]
        created_on = min(training_class.starts_on, self._days_ago(60)) - timedelta(days=30)
        if stage == Stage.SOURCE:
            created_on = self._days_ago(rng.choice([20, 45, 240]))
        candidate = self._new_candidate(f"active/{code}/{stage}/{n}", code, on=created_on)
        if candidate is None:
            return
        self._mentor(candidate, created_on)
        if stage == Stage.SOURCE:
            return
        if stage == Stage.TRAINING:
            self._train(candidate, self.classes["current"], passed=False)
            return
        self._train(candidate, training_class, passed=True)
        if stage == Stage.TRAINED:
            return
        resolution_on = self._days_ago(rng.choice([30, 70, 110]))
        self._dossier(candidate, resolution_on, youth_route=False)
        if stage == Stage.PROPOSED:
            self._propose(candidate, resolution_on)

    def build_duplicates(self) -> None:
        """One person on two source lists, as when they moved and the new ward typed them in
        again from their old identity card: the staff's duplicates page has a pair to merge."""
        if Candidate.objects.filter(old_id_number=DUPLICATE_OLD_ID).exists():
            return
        original = (
            Candidate.objects.filter(unit__code="VT-P1-KV1", stage=Stage.SOURCE)
            .order_by("pk")
            .first()
        )
        if original is None:
            return
        services.create_candidate(
            on=self._days_ago(10),
            same_person_confirmed=True,
            full_name=original.full_name.upper(),
            date_of_birth=original.date_of_birth,
            gender=original.gender,
            old_id_number=DUPLICATE_OLD_ID,
            unit=self.units["VT-P3-KV1"],
            source=original.source,
            residence=self.units["VT-P3-KV1"].name,
        )
        self.summary.count("candidates")


# The old identity card number (CMND) of the demo's duplicate: illustrative.
DUPLICATE_OLD_ID = "361000001"


def reorganisation_2025() -> tuple[Reorganisation, bool]:
    """The 2025 reorganisation of the demo's area, as a draft (once): its steps are in
    ``fixtures/reorganisation_2025.json``, which says which mappings are illustrative."""
    spec = json.loads(REORGANISATION_FIXTURE.read_text(encoding="utf-8"))["reorganisation"]
    found = Reorganisation.objects.filter(document_reference=spec["document_reference"]).first()
    if found is not None:
        return found, False
    reorganisation = Reorganisation.objects.create(
        title=spec["title"],
        effective_on=date.fromisoformat(spec["effective_on"]),
        document_reference=spec["document_reference"],
        unit=None,  # the province itself merges: the level above decides (admins here)
    )
    for position, step in enumerate(spec["steps"], start=1):
        reorganisation.steps.create(position=position, kind=step["kind"], params=step["params"])
    return reorganisation, True


@transaction.atomic
def apply_reorganisation_2025(today: date | None = None) -> dict[str, int]:
    """Apply the demo's 2025 reorganisation (if it is not yet) and add the 2026 part of the
    demo in the new tree: quotas, a class and admissions (illustrative figures)."""
    from recruitment.reorganisation.services import apply_reorganisation

    data = json.loads(REORGANISATION_FIXTURE.read_text(encoding="utf-8"))["after"]
    reorganisation, _created = reorganisation_2025()
    builder = DemoBuilder(
        json.loads(FIXTURE.read_text(encoding="utf-8")), today or timezone.localdate()
    )
    if reorganisation.status == Reorganisation.Status.DRAFT:
        apply_reorganisation(reorganisation=reorganisation, by=None)
        builder.summary.count("reorganisations applied")
    # The units by code, and the open cells by the code of the cell they continue.
    for unit in Organisation.objects.filter(active=True):
        builder.units[unit.code] = unit
    for link in UnitSuccession.objects.filter(reorganisation=reorganisation).select_related(
        "predecessor", "successor"
    ):
        builder.units.setdefault(link.predecessor.code, link.successor)
        if link.predecessor.kind == Organisation.Kind.CELL:
            builder.units[link.predecessor.code] = link.successor
    for unit in builder.units.values():
        builder.members[unit.code] = list(
            PartyMember.objects.filter(unit=unit, candidate__isnull=True).order_by("pk")
        )
    for year, targets in data["quotas"].items():
        for code, target in targets.items():
            _quota, created = Quota.objects.get_or_create(
                unit=builder.units[code], year=int(year), defaults={"target": target}
            )
            builder.summary.count("quotas", created)
    spec = data["training_class"]
    builder.classes["2025"], created = TrainingClass.objects.get_or_create(
        title=spec["title"],
        unit=builder.units[spec["unit"]],
        defaults={
            "starts_on": date.fromisoformat(spec["starts_on"]),
            "ends_on": date.fromisoformat(spec["ends_on"]),
            "place": spec["place"],
        },
    )
    builder.summary.count("training classes", created)
    builder.candidate_serial = 9000  # citizen IDs apart from the first part's
    index = 0
    for old_code, count in data["admitted_2026"].items():
        cell = builder.units[old_code]
        for n in range(count):
            decision_on = date(2026, 2 + index % 4, 12)
            index += 1
            if decision_on > builder.today:
                continue
            builder.admitted_candidate(
                f"admitted/2026/{old_code}/{n}",
                cell.code,
                decision_on,
                decision_on + timedelta(days=10),
                "2025",
                recognised_on=add_months(decision_on, 13),
            )
    return builder.summary.created


@transaction.atomic
def load_demo(today: date | None = None) -> dict[str, int]:
    """Load the Vị Thanh scenario; returns what was created (nothing on a second run)."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    builder = DemoBuilder(data, today or timezone.localdate())
    builder.build_units(data["units"])
    builder.build_classes()
    builder.build_members()
    builder.build_quotas()
    builder.build_users()
    builder.build_admitted()
    builder.build_withdrawn()
    builder.build_probationary()
    builder.build_active()
    builder.build_duplicates()
    _reorganisation, created = reorganisation_2025()
    builder.summary.count("draft reorganisations", created)
    if builder.summary.created:  # the year-on-year pipeline, worked out from the history
        yearend.record_all()
    return builder.summary.created
