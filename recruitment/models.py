"""The recruitment domain: units, members, candidates, classes, quotas and stage history.

Rules about which stage moves are allowed live in ``recruitment.pipeline``, not here.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from recruitment import figures_cache, namesakes, rollups, stages
from recruitment.links import row_url
from recruitment.stages import Stage
from recruitment.text import (
    mask_citizen_id,
    normalise_ethnicity,
    normalise_religion,
    printable,
    search_key,
)

# ASCII digits only: \d would also accept full-width and other scripts' digits.
citizen_id_validator = RegexValidator(
    r"^[0-9]{12}\Z", _("A citizen ID (CCCD) has exactly 12 digits."), code="citizen_id"
)
# The identity card that came before the CCCD (CMND): 9 digits, still on many paper files.
old_id_number_validator = RegexValidator(
    r"^[0-9]{9}\Z", _("An old ID number (CMND) has exactly 9 digits."), code="old_id_number"
)


def citizen_id_field() -> models.CharField:
    return models.CharField(
        _("citizen ID (CCCD)"),
        max_length=12,
        null=True,
        blank=True,
        unique=True,
        validators=[citizen_id_validator],
    )


def old_id_number_field() -> models.CharField:
    return models.CharField(
        _("old ID number (CMND)"),
        max_length=9,
        null=True,
        blank=True,
        unique=True,
        validators=[old_id_number_validator],
        help_text=_("The 9-digit identity card number, if the file has it."),
    )


class Versioned(models.Model):
    """A record several people edit: ``version`` counts its saves, so that an edit form
    opened before someone else's save can tell (``forms.VersionedModelForm``)."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            self.version += 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version"}
        super().save(*args, **kwargs)


def keep_search_key(instance, source: str, key: str, save_kwargs: dict) -> None:
    """Set ``key`` to the search key of ``source`` (``search_key``: no diacritics nor case),
    which the lists search; a save of ``source`` alone (``update_fields``) saves it too, so
    that a renamed row is found by its new name."""
    setattr(instance, key, search_key(getattr(instance, source)))
    update_fields = save_kwargs.get("update_fields")
    if update_fields is not None and source in update_fields:
        save_kwargs["update_fields"] = {*update_fields, key}


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows which lookup leads to the owning unit's materialised path."""

    unit_path_lookup = "unit__path"
    search_lookup = "search_name__contains"

    def for_user(self, user):
        """Rows in the user's unit subtree: the one access rule every view goes through."""
        prefix = getattr(user, "scope_path", None)
        if prefix is None:
            return self.none()
        if prefix == "":
            return self.all()
        return self.filter(**{f"{self.unit_path_lookup}__startswith": prefix})

    def in_subtree(self, unit: Organisation):
        return self.filter(**{f"{self.unit_path_lookup}__startswith": unit.path})

    def above_or_under(self, path: str):
        """Rows of the unit at ``path``, of every unit below it and of every unit above it.

        What a unit shares with its line: classes run above it for the units below, days
        off declared above it.
        """
        ancestors = Organisation.ancestor_paths(path)
        lookup = self.unit_path_lookup
        return self.filter(Q(**{f"{lookup}__startswith": path}) | Q(**{f"{lookup}__in": ancestors}))

    def search(self, text: str):
        """Rows whose name holds every word of ``text``, in any order, ignoring diacritics,
        case and spacing: "nguyen toan" finds "Nguyễn Đức Toàn", as people type a name
        without its middle name. A trigram index serves each word on PostgreSQL."""
        words = search_key(text).split()
        if not words:
            return self
        return self.filter(*(Q(**{self.search_lookup: word}) for word in words))

    def by_name(self, searching: bool = False):
        """Ordered by name (``name_ordering``)."""
        return self.order_by(*name_ordering(searching))


def name_ordering(searching: bool) -> list:
    """By name (``search_name``), then id. While searching, by an expression the name's
    index cannot serve, giving the same order: PostgreSQL then sorts the rows the trigram
    index finds, instead of walking the name's index in order until it has a page of
    matches, which takes a second where they come late in the alphabet ("nguyen van an"
    among a million candidates: 1.1 s; 78 ms so). The lists and the admin order so."""
    name = Lower("search_name") if searching else F("search_name")
    return [name.asc(), "pk"]


# --- Units -----------------------------------------------------------------------------------


class OrganisationQuerySet(MP_NodeQuerySet, ScopedQuerySet):
    unit_path_lookup = "path"

    def delete(self, *args, **kwargs):
        """treebeard deletes a unit (``Organisation.delete``), its subtree and their quotas
        through here, as the admin's "delete selected" does: the dashboard names the units."""
        deleted = super().delete(*args, **kwargs)
        figures_cache.bump(roots=True)
        return deleted

    def ancestors_of(self, unit: Organisation) -> list[Organisation]:
        """The units above ``unit`` that this queryset holds, top first (the breadcrumbs of a
        scoped page). One query, none for a root."""
        paths = Organisation.ancestor_paths(unit.path)
        return list(self.filter(path__in=paths).order_by("path")) if paths else []

    def matching(self, text: str, limit: int = 20) -> list[Organisation]:
        """Units whose name or code holds ``text`` (diacritics ignored), the highest
        first, at most ``limit`` (one query; a trigram index serves it on PostgreSQL)."""
        key = search_key(text)
        if not key:
            return []
        found = self.filter(Q(search_name__contains=key) | Q(code__iexact=text.strip()))
        return list(found.order_by("depth", "search_name", "pk")[:limit])

    def open_on(self, day: date):
        """Units that existed on ``day``: opened by then (or always there) and not yet
        closed (a unit closed by a reorganisation is closed from its effective date)."""
        return self.filter(Q(opened_on__isnull=True) | Q(opened_on__lte=day)).filter(
            Q(closed_on__isnull=True) | Q(closed_on__gt=day)
        )

    def open_during(self, year: int):
        """Units that existed on at least one day of ``year``: the tree of that year's
        dashboard (a unit closed mid-year and its successor both belong to that year)."""
        return self.filter(Q(opened_on__isnull=True) | Q(opened_on__lte=date(year, 12, 31))).filter(
            Q(closed_on__isnull=True) | Q(closed_on__gt=date(year, 1, 1))
        )


class OrganisationManager(MP_NodeManager.from_queryset(OrganisationQuerySet)):
    def get_queryset(self):
        return OrganisationQuerySet(self.model, using=self._db).order_by("path")

    def root_ids(self) -> frozenset[int]:
        """The ids of the trees' roots (a site has one, as a rule), kept at the roots'
        version (``figures_cache.ROOTS_KEY``), which a unit saved at the top and any unit
        moved or deleted change: the pages that ask whether a root is the only one ask the
        database once a version."""
        return figures_cache.site_cached(
            "root-ids",
            lambda: frozenset(self.filter(depth=1).values_list("pk", flat=True)),
            of=figures_cache.ROOTS_KEY,
        )

    def move(self, node, target, pos=None):
        """Move ``node`` and its subtree (treebeard), and recount the kept counts of the
        units it left and joined, in the same transaction (``rollups.recompute_rollups``)."""
        with transaction.atomic():
            before = self.filter(pk=node.pk).values_list("path", flat=True).first()
            result = super().move(node, target, pos)
            after = self.filter(pk=node.pk).values_list("path", flat=True).first()
            parents = [Organisation.ancestor_paths(path)[-1:] for path in (before, after)]
            if all(parents):
                units = self.filter(path__in=[p[0] for p in parents])
                rollups.recompute_rollups(list(units))
            else:  # a root moved, or became one: recount the whole tree
                rollups.recompute_rollups()
            # The dashboards list the units' children: stale even when no count changed
            # (an empty unit moved), which the recount alone would not tell the cache.
            figures_cache.bump(roots=True)
        return result


class Organisation(MP_Node):
    """One unit of the party tree, stored as a materialised path (``path``)."""

    class Kind(models.TextChoices):
        CENTRAL = "central", _("Central Committee")
        PROVINCIAL = "provincial", _("Provincial committee")
        CITY = "city", _("City/district committee")
        COMMITTEE = "committee", _("Grassroots committee")
        GRASSROOTS_CELL = "grassroots_cell", _("Grassroots cell")
        CELL = "cell", _("Cell")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    search_name = models.CharField(max_length=200, editable=False, db_index=True)
    code = models.CharField(_("code"), max_length=30, unique=True)
    active = models.BooleanField(_("active"), default=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Set on units a reorganisation opened; empty for units that were always there.
    opened_on = models.DateField(_("opened on"), null=True, blank=True)

    objects = OrganisationManager()
    history = HistoricalRecords(excluded_fields=["path", "depth", "numchild"])

    class Meta:
        verbose_name = _("party unit")
        verbose_name_plural = _("party units")
        # A unit's children (treebeard: depth and a path range) and the top levels of a
        # scope, read from the index rather than the whole tree.
        indexes = [models.Index(fields=["depth", "path"], name="organisation_depth_path")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = printable(self.name).strip()
        keep_search_key(self, "name", "search_name", kwargs)
        super().save(*args, **kwargs)
        figures_cache.bump(roots=self.depth == 1)  # the dashboard names the units

    def is_open_on(self, day: date) -> bool:
        """Whether the unit existed on ``day``, for a unit already read: as
        ``OrganisationQuerySet.open_on``, and from today on not if it is closed (``active``
        off) without a closing date, as the forms offer only active units."""
        if day >= timezone.localdate() and not self.active:
            return False
        opened = self.opened_on is None or self.opened_on <= day
        return opened and (self.closed_on is None or self.closed_on > day)

    def is_open_during(self, year: int) -> bool:
        """``OrganisationQuerySet.open_during`` for a unit already read."""
        opened = self.opened_on is None or self.opened_on <= date(year, 12, 31)
        return opened and (self.closed_on is None or self.closed_on > date(year, 1, 1))

    @classmethod
    def ancestor_paths(cls, path: str) -> list[str]:
        """The materialised paths of every unit above the unit at ``path``, top first."""
        return [path[:end] for end in range(cls.steplen, len(path), cls.steplen)]


# --- Members ---------------------------------------------------------------------------------


def same_name_and_birth(full_name: str, date_of_birth: date) -> Q:
    """The same name (diacritics, case and spacing ignored) and birth date: likely the same
    person, candidate or member."""
    return Q(search_name=search_key(full_name), date_of_birth=date_of_birth)


class PartyMemberQuerySet(ScopedQuerySet):
    def namesakes(self, full_name: str, date_of_birth: date):
        """Members of the same name and birth date (``same_name_and_birth``)."""
        return self.filter(same_name_and_birth(full_name, date_of_birth))

    def official_on(self, day: date):
        """Official (not probationary, not departed) members on ``day``."""
        return self.filter(official_on__isnull=False, official_on__lte=day).filter(
            Q(left_on__isnull=True) | Q(left_on__gt=day)
        )


class PartyMember(Versioned):
    """A party member: mentor or introducer of candidates; admitted candidates become one."""

    full_name = models.CharField(_("full name"), max_length=150)
    search_name = models.CharField(max_length=150, editable=False, db_index=True)
    # Who the person is, to find a second record of them (DESIGN.md §5): optional, and for a
    # member admitted through the pipeline read from the candidate's record instead.
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    citizen_id = citizen_id_field()
    old_id_number = old_id_number_field()
    unit = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="members", verbose_name=_("unit")
    )
    admitted_on = models.DateField(_("admitted on"))
    official_on = models.DateField(
        _("official from"), null=True, blank=True, help_text=_("Empty while probationary.")
    )
    left_on = models.DateField(_("left on"), null=True, blank=True)
    left_reason = models.CharField(_("reason for leaving"), max_length=300, blank=True)
    candidate = models.OneToOneField(
        "Candidate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        verbose_name=_("admitted from candidate"),
    )

    objects = PartyMemberQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["search_name", "pk"]
        indexes = [
            # Namesakes: the same name and birth date (``namesakes``, the duplicates page).
            models.Index(fields=["search_name", "date_of_birth"], name="member_name_birth"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(official_on__isnull=True) | Q(official_on__gte=models.F("admitted_on")),
                name="member_official_after_admission",
                violation_error_message=_("A member cannot be official before being admitted."),
            ),
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        keep_search_key(self, "full_name", "search_name", kwargs)
        # Its namesakes (``namesakes``), when its key or its candidate changed: one query to
        # read (and lock) the stored row, none for a save of other fields.
        fields, written = namesakes.MEMBER_FIELDS, kwargs.get("update_fields")
        if not namesakes.writes_key(fields, written):
            super().save(*args, **kwargs)
            return
        with transaction.atomic(using=kwargs.get("using")):
            before = None
            if not self._state.adding:
                stored = type(self).objects.select_for_update().filter(pk=self.pk)
                before = stored.values_list(*fields).first()
            super().save(*args, **kwargs)
            namesakes.saved(self, fields, before, written)

    def get_absolute_url(self):
        return row_url("recruitment:member-detail", self.pk)

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            result = super().delete(*args, **kwargs)
            namesakes.keep([namesakes.key_of(self.search_name, self.date_of_birth)])
            return result

    @property
    def masked_citizen_id(self) -> str:
        return mask_citizen_id(self.citizen_id)

    def is_official(self, on: date | None = None) -> bool:
        on = on or timezone.localdate()
        return (
            self.official_on is not None
            and self.official_on <= on
            and (self.left_on is None or self.left_on > on)
        )

    @property
    def probation_ends_on(self) -> date | None:
        """Probation counts from the admission ceremony (the decision's date if none is known).

        Select the related ``candidate`` when listing members.
        """
        from recruitment.dates import add_months
        from recruitment.regulation import rule

        if self.official_on is not None:
            return None
        candidate = self.candidate if self.candidate_id else None
        start = (candidate.ceremony_on if candidate else None) or self.admitted_on
        return add_months(start, rule("PROBATION_MONTHS"))


class TransferQuerySet(ScopedQuerySet):
    """Transfers are seen with the member they moved, wherever the member is now."""

    unit_path_lookup = "member__unit__path"


class Transfer(models.Model):
    """A member's move in or out (chuyển sinh hoạt đảng): between units of the tree, or
    from or to a place outside it, named in words.

    Recorded by ``services.transfer_in`` / ``services.transfer_out``, which move the member.
    """

    class Direction(models.TextChoices):
        IN = "in", _("Transfer in")
        OUT = "out", _("Transfer out")

    member = models.ForeignKey(
        PartyMember,
        on_delete=models.PROTECT,
        related_name="transfers",
        verbose_name=_("party member"),
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    on = models.DateField(_("transferred on"))
    from_unit = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from unit"),
    )
    from_place = models.CharField(
        _("from (outside your units)"),
        max_length=200,
        blank=True,
        help_text=_("The party unit or place the member comes from, in words."),
    )
    to_unit = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to unit"),
    )
    to_place = models.CharField(
        _("to (outside your units)"),
        max_length=200,
        blank=True,
        help_text=_("The party unit or place the member goes to, in words."),
    )
    document_number = models.CharField(_("document number"), max_length=50, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = TransferQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_unit__isnull=False) | ~Q(from_place=""),
                name="transfer_has_origin",
                violation_error_message=_("Say where the member comes from."),
            ),
            models.CheckConstraint(
                condition=Q(to_unit__isnull=False) | ~Q(to_place=""),
                name="transfer_has_destination",
                violation_error_message=_("Say where the member goes."),
            ),
        ]

    def __str__(self):
        return f"{self.member}: {self.get_direction_display()} {self.on:%d/%m/%Y}"

    @property
    def origin(self) -> str:
        return self.from_unit.name if self.from_unit_id else self.from_place

    @property
    def destination(self) -> str:
        return self.to_unit.name if self.to_unit_id else self.to_place


# --- Candidates ------------------------------------------------------------------------------


class Source(models.TextChoices):
    YOUTH_UNION = "youth_union", _("Youth Union")
    ASSOCIATION = "association", _("Association")
    MILITIA = "militia", _("Militia")
    TRADE_UNION = "trade_union", _("Trade union")
    OTHER = "other", _("Other citizen")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Education(models.TextChoices):
    """Ordered from lowest to highest; the order matters to the education rule."""

    PRIMARY = "primary", _("Primary school")
    LOWER_SECONDARY = "lower_secondary", _("Lower secondary")
    UPPER_SECONDARY = "upper_secondary", _("Upper secondary")
    VOCATIONAL = "vocational", _("Vocational")
    COLLEGE = "college", _("College")
    UNIVERSITY = "university", _("University")
    POSTGRADUATE = "postgraduate", _("Postgraduate")

    @classmethod
    def rank(cls, value: str) -> int:
        return cls.values.index(value) if value in cls.values else -1


MAJORITY_ETHNICITY = "Kinh"


# The deadline kept on each candidate (``pipeline.keep_deadline``).
DEADLINE_FIELDS = ["deadline_kind", "deadline_watch_on", "deadline_due_on"]


class CandidateQuerySet(ScopedQuerySet):
    # Those still on their way (``stages.ACTIVE``), as a condition to join with others.
    ACTIVE = Q(stage__in=stages.ACTIVE)

    def active(self):
        return self.filter(self.ACTIVE)

    def admitted_in(self, year: int):
        return self.filter(stage__in=stages.ADMITTED, decision_on__year=year)

    def namesakes(self, full_name: str, date_of_birth: date):
        """Candidates of the same name and birth date (``same_name_and_birth``)."""
        return self.filter(same_name_and_birth(full_name, date_of_birth))


SOURCE_LABELS = dict(Source.choices)


class Candidate(Versioned):
    """A person in the recruitment pipeline (quần chúng ưu tú / đối tượng phát triển đảng)."""

    # Identity
    full_name = models.CharField(_("full name"), max_length=150)
    search_name = models.CharField(max_length=150, editable=False, db_index=True)
    date_of_birth = models.DateField(_("date of birth"))
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=50, default=MAJORITY_ETHNICITY)
    religion = models.CharField(
        _("religion"), max_length=50, blank=True, help_text=_("Empty if none.")
    )
    citizen_id = citizen_id_field()
    old_id_number = old_id_number_field()
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    residence = models.CharField(_("residence"), max_length=255, blank=True)

    # Where they are and where they come from
    unit = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="candidates",
        verbose_name=_("unit"),
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    youth_union_member = models.BooleanField(_("Youth Union member"), default=False)
    education = models.CharField(
        _("education"), max_length=20, choices=Education.choices, default=Education.UPPER_SECONDARY
    )
    occupation = models.CharField(_("occupation"), max_length=150, blank=True)
    workplace = models.CharField(_("workplace"), max_length=200, blank=True)
    private_enterprise = models.BooleanField(_("works in a private enterprise"), default=False)
    works_away = models.BooleanField(_("works away from home"), default=False)

    # Pipeline
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.SOURCE, db_index=True
    )
    stage_since = models.DateField(_("in this stage since"), default=timezone.localdate)
    sponsors = models.ManyToManyField(
        PartyMember, through="Sponsorship", related_name="sponsored", blank=True
    )

    # Paperwork (Mẫu …-KNĐ)
    application_on = models.DateField(_("application (Form 1) received on"), null=True, blank=True)
    application_ref = models.CharField(_("application reference"), max_length=50, blank=True)
    personal_history_on = models.DateField(
        _("personal history (Form 2) received on"), null=True, blank=True
    )
    personal_history_ref = models.CharField(
        _("personal history reference"), max_length=50, blank=True
    )
    background_check_on = models.DateField(
        _("background verification done on"), null=True, blank=True
    )
    background_check_ref = models.CharField(
        _("background verification reference"), max_length=50, blank=True
    )
    youth_union_resolution_on = models.DateField(
        _("Youth Union resolution (Form 4) on"), null=True, blank=True
    )
    youth_union_resolution_ref = models.CharField(
        _("Youth Union resolution reference"), max_length=50, blank=True
    )
    cell_resolution_on = models.DateField(_("cell resolution (Form 6) on"), null=True, blank=True)
    cell_resolution_ref = models.CharField(
        _("cell resolution reference"), max_length=50, blank=True
    )
    votes_for = models.PositiveSmallIntegerField(_("votes in favour"), null=True, blank=True)
    votes_total = models.PositiveSmallIntegerField(
        _("official members of the cell"), null=True, blank=True
    )
    decision_on = models.DateField(
        _("admission decision (Form 9) on"), null=True, blank=True, db_index=True
    )
    decision_number = models.CharField(_("decision number"), max_length=50, blank=True)
    # Where the admission counts: the unit the candidate was in when admitted. A later move
    # of the person does not carry past years' figures away (DESIGN.md §4).
    admitted_unit = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("admitted in unit"),
    )
    ceremony_on = models.DateField(_("admission ceremony on"), null=True, blank=True)
    recognition_resolution_on = models.DateField(
        _("recognition resolution on"), null=True, blank=True
    )
    exit_on = models.DateField(_("left the pipeline on"), null=True, blank=True)
    exit_reason = models.CharField(_("reason"), max_length=300, blank=True)

    # The statutory deadline running for the candidate, if any (``pipeline.deadlines``),
    # kept at every save so that the dashboard's warnings are read from an index.
    deadline_kind = models.CharField(max_length=20, blank=True, editable=False)
    deadline_watch_on = models.DateField(null=True, blank=True, editable=False)
    deadline_due_on = models.DateField(null=True, blank=True, editable=False)
    # The date of the candidate's latest certificate (a pass with a number), kept by
    # ``Enrolment.save``/``delete``: lapsing certificates are found from an index.
    latest_certificate_on = models.DateField(null=True, blank=True, editable=False)
    # The day the candidate last entered "trained" (its stage change), kept by the pipeline:
    # the trained cohorts that planning follows are kept counts (``rollups``) keyed by it.
    trained_on = models.DateField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CandidateQuerySet.as_manager()
    # What the app derives and keeps for its own reads is not the person's history.
    history = HistoricalRecords(
        excluded_fields=[*DEADLINE_FIELDS, "latest_certificate_on", "trained_on"]
    )

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["search_name", "pk"]
        indexes = [
            # Namesakes: the same name and birth date (``namesakes``, the duplicates page).
            models.Index(fields=["search_name", "date_of_birth"], name="candidate_name_birth"),
            models.Index(fields=["stage", "decision_on"], name="candidate_stage_decision"),
            models.Index(fields=["unit", "stage"], name="candidate_unit_stage"),
            # The dashboard's warnings (reports/deadlines.py) count what falls due in a
            # subtree from these three alone: each carries the unit (PostgreSQL's INCLUDE),
            # so the count joins the subtree's units without reading a candidate's row.
            models.Index(
                fields=["deadline_kind", "deadline_watch_on"],
                include=["unit"],
                name="candidate_deadline_unit",
            ),
            # Deadlines past their last day (steering's overdue counts per child unit).
            models.Index(
                fields=["deadline_kind", "deadline_due_on"],
                include=["unit"],
                condition=~Q(deadline_kind=""),
                name="candidate_due_unit",
            ),
            models.Index(fields=["stage", "stage_since"], name="candidate_stage_since"),
            # Certificates about to lapse, of those who still need them.
            models.Index(
                fields=["latest_certificate_on"],
                include=["unit"],
                condition=Q(stage__in=stages.LATE),
                name="candidate_late_cert_unit",
            ),
            # The candidates stuck longest in an active stage, at any scope.
            models.Index(
                fields=["stage_since"],
                include=["unit"],
                condition=Q(stage__in=stages.ACTIVE),
                name="candidate_active_since_unit",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(votes_for__isnull=True)
                | Q(votes_total__isnull=True)
                | Q(votes_for__lte=models.F("votes_total")),
                name="candidate_votes_within_total",
                violation_error_message=_("Votes in favour cannot exceed the members voting."),
            ),
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        self.normalise()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        from recruitment.pipeline import keep_deadline  # the pipeline imports the models

        if keep_deadline(self) and update_fields is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *DEADLINE_FIELDS}
        # The one place where the kept counts follow a candidate: every write of one goes
        # through here (pipeline moves and corrections, services, forms, the admin).
        with transaction.atomic(using=kwargs.get("using")):
            before = None if self._state.adding else rollups.stored_state(self)
            if before is not None:
                # Enrolment.save keeps this date with an UPDATE of its own: an object loaded
                # before that must not write its old copy back.
                self.latest_certificate_on = before["latest_certificate_on"]
            super().save(*args, **kwargs)
            rollups.candidate_saved(self, before, kwargs.get("update_fields"))
            if before is not None and before["full_name"] != self.full_name:
                self._name_the_member()
            stored = before and (before["search_name"], before["date_of_birth"])
            namesakes.saved(self, namesakes.CANDIDATE_FIELDS, stored, kwargs.get("update_fields"))
            # The dashboard's warnings read its deadlines, dates and name, which change
            # no count, and the steering table its day of admission, which may change none
            # (a date corrected within its month): the dashboards of the units it is in and
            # was admitted in, and of those it had before.
            units = {self.unit_id, self.admitted_unit_id}
            if before is not None:
                units |= {before["unit_id"], before["admitted_unit_id"]}
            figures_cache.bump(units=units - {None})

    def get_absolute_url(self):
        return row_url("recruitment:candidate-detail", self.pk)

    def get_source_display(self):
        """Django's version builds a dict of the choices on every call: 35 µs, on each row
        of every list."""
        return force_str(SOURCE_LABELS.get(self.source, self.source), strings_only=True)

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            rollups.candidate_deleted(self)
            result = super().delete(*args, **kwargs)
            # Its member, unlinked (SET_NULL), is still one person under its own key.
            namesakes.keep([namesakes.key_of(self.search_name, self.date_of_birth)])
            return result

    def _name_the_member(self) -> None:
        """The member an admitted candidate became bears the candidate's name, whichever
        page renamed them (the edit form, a correction, a merge, the admin). Asked only
        on a rename: one query, none for a candidate not yet admitted."""
        if self.decision_on is None:
            return
        member = PartyMember.objects.filter(candidate=self).exclude(full_name=self.full_name)
        member = member.first()
        if member is not None:
            member.full_name = self.full_name
            reason = getattr(self, "_change_reason", None) or _("renamed on the candidate's record")
            member._change_reason = str(reason)[:100]  # the history's reason column holds 100
            member.save(update_fields=["full_name"])

    def normalise(self) -> None:
        """Derived and normalised values, whichever form, import or admin page wrote the row:
        the dashboard's composition counts on one spelling of each. ``save`` calls it; a
        bulk insert (the importer) calls it itself."""
        self.search_name = search_key(self.full_name)
        self.ethnicity = normalise_ethnicity(self.ethnicity, MAJORITY_ETHNICITY)
        self.religion = normalise_religion(self.religion)
        if self.source == Source.YOUTH_UNION:
            self.youth_union_member = True

    @property
    def masked_citizen_id(self) -> str:
        return mask_citizen_id(self.citizen_id)


class CandidateOwnedQuerySet(ScopedQuerySet):
    """Rows that belong to a unit through their candidate."""

    unit_path_lookup = "candidate__unit__path"


class Sponsorship(models.Model):
    """A party member attached to a candidate as mentor or introducer (Mẫu 3-KNĐ)."""

    class Role(models.TextChoices):
        MENTOR = "mentor", _("Mentor")
        INTRODUCER = "introducer", _("Introducer")

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="sponsorships")
    member = models.ForeignKey(
        PartyMember,
        on_delete=models.PROTECT,
        related_name="sponsorships",
        verbose_name=_("party member"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    assigned_on = models.DateField(_("assigned on"), default=timezone.localdate)
    known_since = models.DateField(
        _("worked or lived with the candidate since"),
        null=True,
        blank=True,
        help_text=_("Introducers must have known the candidate for 12 months."),
    )
    reference = models.CharField(_("reference"), max_length=50, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = CandidateOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("mentor or introducer")
        verbose_name_plural = _("mentors and introducers")
        ordering = ["role", "assigned_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "member", "role"],
                condition=Q(ended_on__isnull=True),
                name="sponsorship_unique_active_role",
                violation_error_message=_("This member already has this role for the candidate."),
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.member}"


# --- Training --------------------------------------------------------------------------------


class TrainingClassQuerySet(ScopedQuerySet):
    search_lookup = "search_title__contains"

    def for_user(self, user):
        """Classes run in the user's subtree, and those run above it for the units below."""
        prefix = getattr(user, "scope_path", None)
        if not prefix:
            return super().for_user(user)
        return self.above_or_under(prefix)


class TrainingClass(Versioned):
    """A party-awareness class (lớp bồi dưỡng nhận thức về Đảng)."""

    title = models.CharField(_("title"), max_length=200)
    # The title without diacritics or case (``search_key``), which the list's search reads.
    search_title = models.CharField(max_length=200, editable=False)
    unit = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="training_classes",
        verbose_name=_("organising unit"),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    place = models.CharField(_("place"), max_length=200, blank=True)

    objects = TrainingClassQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("training class")
        verbose_name_plural = _("training classes")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="class_ends_after_start",
                violation_error_message=_("A class cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        keep_search_key(self, "title", "search_title", kwargs)
        super().save(*args, **kwargs)


class Namesake(models.Model):
    """A name and birth date (diacritics, case and spacing ignored) that two people or more
    carry, candidates or members (``recruitment.namesakes``): what the duplicates page reads
    first. Kept by every write of a name, a birth date or a member's candidate."""

    search_name = models.CharField(max_length=200)
    date_of_birth = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["search_name", "date_of_birth"], name="namesake_once")
        ]

    def __str__(self):
        return f"{self.search_name} {self.date_of_birth}"


class Enrolment(models.Model):
    """A candidate in a training class, with the result and the certificate."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Pending")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("candidate")
    )
    training_class = models.ForeignKey(
        TrainingClass,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("training class"),
    )
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default=Result.PENDING
    )
    certificate_number = models.CharField(_("certificate number"), max_length=50, blank=True)
    certificate_on = models.DateField(_("certificate date"), null=True, blank=True)

    objects = CandidateOwnedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-training_class__starts_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "training_class"],
                name="enrolment_once_per_class",
                violation_error_message=_("The candidate is already enrolled in this class."),
            ),
        ]

    def __str__(self):
        return f"{self.candidate} – {self.training_class}"

    def save(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            Enrolment.keep_latest_certificate(self.candidate_id)

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            result = super().delete(*args, **kwargs)
            Enrolment.keep_latest_certificate(self.candidate_id)
            return result

    @staticmethod
    def keep_latest_certificate(candidate_id) -> None:
        """Store the date of the candidate's latest certificate on the candidate. One query."""
        latest = (
            Enrolment.objects.filter(
                candidate=models.OuterRef("pk"),
                result=Enrolment.Result.PASSED,
                certificate_on__isnull=False,
            )
            .exclude(certificate_number="")
            .order_by("-certificate_on")
            .values("certificate_on")[:1]
        )
        Candidate.objects.filter(pk=candidate_id).update(
            latest_certificate_on=models.Subquery(latest)
        )
        figures_cache.bump(candidates=[candidate_id])  # lapsing certificates are warned of


# --- Quotas ----------------------------------------------------------------------------------

MIN_YEAR = 1930  # the Party's founding year
MAX_YEAR = 2100
MAX_QUOTA = 100_000  # far above any unit's yearly admissions; refuses typos and overflow


class QuotaQuerySet(ScopedQuerySet):
    def targets(self, units, years) -> dict[tuple[int, int], int]:
        """The targets of ``units`` in ``years``, by (unit id, year). One query."""
        rows = self.filter(unit__in=units, year__in=years).values_list("unit_id", "year", "target")
        return {(unit_id, year): target for unit_id, year, target in rows}

    def by_unit_and_year(self, units, years) -> dict[tuple[int, int], Quota]:
        """The quotas of ``units`` in ``years``, by (unit id, year). One query."""
        return {(q.unit_id, q.year): q for q in self.filter(unit__in=units, year__in=years)}

    def by_unit(self, units, year: int) -> dict[int, Quota]:
        """The quotas of ``units`` in ``year``, by unit id. One query."""
        return {q.unit_id: q for q in self.filter(unit__in=units, year=year)}

    def near_top(self, user):
        """The quotas of the user's own unit and of the units just below it (for a
        superuser, the top two levels): where the years of the user's quota pages are
        found, without reading every quota of the subtree."""
        prefix = getattr(user, "scope_path", None)
        if prefix is None:
            return self.none()
        if prefix == "":
            return self.filter(unit__depth__lte=2)
        depth = len(prefix) // Organisation.steplen
        return self.filter(unit__path__startswith=prefix, unit__depth__lte=depth + 1)

    def latest_year(self) -> int | None:
        """The latest year with a quota among these. One query."""
        return self.aggregate(year=models.Max("year"))["year"]

    def years(self) -> list[int]:
        """Years that have a quota among these, latest first. One query."""
        return list(self.order_by("-year").values_list("year", flat=True).distinct())


class Quota(Versioned):
    """Target admissions for one unit in one year, set by the level above."""

    unit = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("unit")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    target = models.PositiveIntegerField(_("target"), validators=[MaxValueValidator(MAX_QUOTA)])
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Admissions planned in each month (12 numbers); empty: the even pace through the year.
    # The pace reads the plan's shares of its total, so a later change of the target keeps
    # the plan's shape (``figures.expected_by``).
    monthly_plan = models.JSONField(_("monthly plan"), default=list, blank=True)
    # A quota a reorganisation proposed (the sum of merged units' quotas), until someone
    # with the right to set it confirms or changes it.
    draft = models.BooleanField(_("draft"), default=False)

    objects = QuotaQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("admission quota")
        verbose_name_plural = _("admission quotas")
        ordering = ["-year", "unit__path"]
        # The admin's list: the latest year, the newest first (``QuotaAdmin``).
        indexes = [models.Index(fields=["-year", "-id"], name="quota_year_newest")]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year"],
                name="quota_one_per_unit_year",
                violation_error_message=_("This unit already has a quota for this year."),
            ),
            models.CheckConstraint(
                condition=Q(target__gte=0),
                name="quota_target_not_negative",
                violation_error_message=_("A quota cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_YEAR) & Q(year__lte=MAX_YEAR),
                name="quota_year_in_range",
                violation_error_message=_("The year is out of range."),
            ),
        ]

    def __str__(self):
        return f"{self.unit} {self.year}: {self.target}"

    def save(self, *args, **kwargs):
        # The dashboards show the quotas: those of its unit, and of the unit it had before
        # (the admin can give a quota to another unit), as read or, if not, as stored.
        before = self.__dict__.get("_stored_unit_id")
        if before is None and self.pk is not None:
            stored = Quota.objects.filter(pk=self.pk)
            before = stored.values_list("unit_id", flat=True).first()
        super().save(*args, **kwargs)
        self._stored_unit_id = self.unit_id
        figures_cache.bump(units={self.unit_id, before} - {None})

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        figures_cache.bump(units=[self.unit_id])
        return result

    @classmethod
    def from_db(cls, db, field_names, values):
        """Remembers the unit it was read with (``save``): no query to know it again."""
        quota = super().from_db(db, field_names, values)
        if "unit_id" in field_names:
            quota._stored_unit_id = quota.unit_id
        return quota

    def clean(self):
        super().clean()
        plan = self.monthly_plan
        if plan and not (
            isinstance(plan, list)
            and len(plan) == 12
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in plan)
            and sum(plan) > 0
        ):
            raise ValidationError(
                {
                    "monthly_plan": _(
                        "A monthly plan is twelve whole numbers, none negative, not all zero."
                    )
                },
                code="invalid_plan",
            )


# --- History ---------------------------------------------------------------------------------


class StageChange(models.Model):
    """One move of a candidate between stages: who, when and why."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("from"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=20, choices=Stage.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    on = models.DateField(_("effective on"), default=timezone.localdate)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    from_paper = models.BooleanField(
        _("recorded from paper"),
        default=False,
        help_text=_("A step of the past entered from the paper file, on its own date."),
    )
    # A step of a second record of the same person, kept when the two were merged
    # (``services.merge_candidates``): history, not a step of this record's own path.
    merged_from = models.PositiveBigIntegerField(
        _("from merged record"),
        null=True,
        blank=True,
        help_text=_("The number of the record merged into this one, whose step this was."),
    )

    objects = CandidateOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["at", "pk"]
        # Who entered a stage in which years: the conversion rates of the quota plan.
        indexes = [models.Index(fields=["to_stage", "on"], name="stage_change_to_stage_on")]

    def __str__(self):
        return f"{self.candidate}: {self.from_stage} → {self.to_stage}"


# --- Kept counts --------------------------------------------------------------------------------


class Tally(models.Model):
    """A count kept for a unit's whole subtree, so that a page reads it instead of counting
    (DESIGN.md §4: at national scale counts are kept, not recounted).

    ``year`` 0 holds today's counts (``stage:<stage>``: candidates in each stage); a year
    holds that year's admissions, counted where they happened (``admitted``, ``m1``…``m12``
    by month, the make-up of ``figures.composition`` and ``left``: admitted that year, since
    dropped out or struck off), and the cohort trained that year (``trained``, of whom
    ``trained:admitted`` admitted since and ``trained:decided`` admitted or withdrawn),
    counted in the candidates' units, which planning reads. Kept by ``recruitment.rollups``
    in the transaction of every write of a candidate; ``manage.py verify_rollups`` recounts them.
    """

    NOW = 0

    unit = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=30)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("kept count")
        verbose_name_plural = _("kept counts")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "key"], name="tally_unit_year_key"),
        ]

    def __str__(self):
        return f"{self.unit_id} {self.year} {self.key}: {self.n}"


class PipelineAtYearEnd(models.Model):
    """Candidates in the pipeline (the active stages) in a unit's whole subtree at the end of
    a year, for the year-on-year comparison: no candidate row says where it stood then.

    ``manage.py record_pipeline``, run daily by the scheduler, writes the current year from
    today's kept counts, so the year's last run leaves its end; ``--from-history`` works the
    past years out once from the stage changes (``recruitment.yearend``).
    """

    unit = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    n = models.IntegerField(default=0)
    recorded_on = models.DateField()

    class Meta:
        verbose_name = _("pipeline at the end of a year")
        verbose_name_plural = _("pipeline at the end of each year")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="pipeline_year_end_unit_year"),
        ]

    def __str__(self):
        return f"{self.unit_id} {self.year}: {self.n}"


# --- Calendar --------------------------------------------------------------------------------


class Holiday(models.Model):
    """A local day off that a unit declared for itself and every unit below it.

    National days off, and the Saturdays worked in exchange for them, are not stored: the
    ``holidays`` package computes them for any year (``recruitment.workdays``).
    """

    day = models.DateField(
        _("day"),
        help_text=_("National holidays are counted automatically; do not enter them here."),
    )
    name = models.CharField(_("name"), max_length=150)
    unit = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="holidays",
        verbose_name=_("unit"),
        help_text=_("The day off applies to this unit and every unit below it."),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit"],
                name="holiday_local_once",
                violation_error_message=_("This day is already a holiday of this unit."),
            ),
        ]

    def __str__(self):
        return f"{self.day:%d/%m/%Y} {self.name}"

    # A day off moves the deadlines stored on the candidates of the unit's subtree
    # (pipeline.keep_deadline counts working days): they are computed again with it.
    def save(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            stored = Holiday.objects.filter(pk=self.pk) if self.pk else Holiday.objects.none()
            moved_from = stored.values_list("unit__path", flat=True).first()
            super().save(*args, **kwargs)
            self._keep_deadlines(moved_from)

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            result = super().delete(*args, **kwargs)
            self._keep_deadlines()
            return result

    def _keep_deadlines(self, moved_from: str | None = None) -> None:
        from recruitment.pipeline import keep_deadlines  # the pipeline imports the models

        for path in {Organisation.objects.get(pk=self.unit_id).path, moved_from} - {None}:
            keep_deadlines(path)


class ReminderDigest(models.Model):
    """One user's reminders of one day, done: the digest sent (``items`` in it), or nothing
    due (``items`` 0, no mail). ``send_reminders`` skips a user who has a row for the day
    (daily) or since the week's day (weekly); a mail that failed leaves no row, so the next
    run tries again. The row is claimed (``claimed_at``) before the mail is sent: a claim
    never sent (``sent_at`` empty) and older than ``reminders.ABANDONED_AFTER`` was left by
    a run that died while sending, and the next run takes it over."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_digests"
    )
    day = models.DateField()
    items = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="reminder_digest_one_per_day")
        ]
        ordering = ["-day"]

    def __str__(self):
        return f"{self.user} {self.day}: {self.items}"


# --- Paperwork -------------------------------------------------------------------------------

# The paperwork's models live with the rest of the paperwork (recruitment/documents/); Django
# finds them here.
import recruitment.documents.models  # noqa: E402, F401

# The spreadsheet importer's jobs live with the importer.
from recruitment.imports.models import ImportJob  # noqa: E402,F401

# Reorganisations of the tree (merge, split, move, close) live with their services.
from recruitment.reorganisation.models import (  # noqa: E402,F401
    Reorganisation,
    ReorganisationStep,
    UnitChangeNotice,
    UnitSuccession,
)
