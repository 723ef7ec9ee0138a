"""Reminders (DESIGN.md §6): what falls due in a user's subtree, listed in the app and sent
as a digest e-mail by ``manage.py send_reminders``.

What falls due is the dashboard's warnings (``reports.deadlines``): the statutory deadlines
kept on each candidate (decision, ceremony, recognition at the end of the probation, dossier
expiring), certificates lapsing within ``REMINDER_CERTIFICATE_DAYS`` and candidates stuck in
a stage for more than ``STUCK_AFTER_DAYS``. Every read goes through the user's scope
(``Candidate.objects.for_user``) and reads at most the first rows of each kind; a digest,
which names the user's unit, holds that unit's subtree only, a superuser's too.
"""

from __future__ import annotations

import functools
import logging
import operator
import smtplib
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import ngettext

from accounts.models import User
from config.replica import reading_replica
from recruitment import figures_cache
from recruitment.models import Candidate, ReminderDigest
from recruitment.regulation import rule
from recruitment.reports.deadlines import (
    WarningGroup,
    WarningKind,
    due_condition,
    due_items,
    watched,
)

# The navigation bar counts candidates with something due up to this many ("99+").
BADGE_LIMIT = 99
# Items of each kind written out in an e-mail; the rest are counted, with a link.
DIGEST_ITEMS = 20


def _scope(user):
    return Candidate.objects.for_user(user).select_related("unit")


def _certificate_days() -> int:
    return rule("REMINDER_CERTIFICATE_DAYS")


def reminder_groups(user, today: date) -> list[WarningGroup]:
    """What falls due in ``user``'s subtree, by kind: the first of each and how many
    (``due_items``: two queries per kind, whatever the size of the subtree)."""
    return due_items(None, today, candidates=_scope(user), certificate_days=_certificate_days())


def digest_groups(user, today: date) -> list[WarningGroup]:
    """``reminder_groups`` of the subtree of ``user``'s unit, which the digest names: the
    same for most users, but a superuser sees the whole country, not their unit's."""
    candidates = _scope(user).in_subtree(user.unit)
    return due_items(None, today, candidates=candidates, certificate_days=_certificate_days())


def reminder_rows(user, kind: str, today: date, unit=None):
    """The candidates of ``user``'s subtree (of ``unit``'s, a unit in it, if given) for
    whom ``kind`` falls due, the most pressing first: a queryset to read a page of.

    With ``unit`` it is the rest of a dashboard's warning (its "see all" link), so lapsing
    certificates are those the dashboard announces (``CERTIFICATE_LAPSE_WARNING_DAYS``),
    not the nearer ones the reminders announce."""
    scope = _scope(user)
    days = _certificate_days()
    if unit is not None:
        scope, days = scope.in_subtree(unit), None
    return watched(kind, scope, today, certificate_days=days)


def due_candidate_count(user, today: date) -> int:
    """Candidates of ``user``'s subtree with anything due, up to ``BADGE_LIMIT`` + 1, in one
    query: every kind's condition (``due_condition``) joined with OR in one WHERE clause,
    built as conditions rather than as querysets joined with ``|``, which took twice as long
    to build (it is on every page that misses the cache)."""
    days = _certificate_days()
    due = functools.reduce(
        operator.or_,
        (due_condition(kind, today, certificate_days=days) for kind in WarningKind.ORDER),
    )
    # The first keys rather than a COUNT: the same bounded read, and no page that promises
    # not to count its list (tests/test_lists_at_scale.py) counts because of the badge.
    keys = Candidate.objects.for_user(user).filter(due).order_by().values_list("pk", flat=True)
    return len(keys[: BADGE_LIMIT + 1])


BADGE_CACHE_SECONDS = 60


class Badge:
    """The navigation bar's count, read only if the page shows it (one query)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        """From the cache for up to a minute (it is on every page); a write of a candidate
        (added, moved, admitted, a class's result kept on it) shows at once, as it changes
        the version of the dashboard of the user's unit (``figures_cache``); other changes
        of what falls due (a sponsor) within the minute."""
        today = timezone.localdate()
        # A superuser's scope is every unit, whatever unit they are attached to.
        whole_tree = self.user.is_superuser or self.user.unit_id is None
        versions = figures_cache.versions_of(None if whole_tree else self.user.unit)
        key = f"badge:{versions}:{self.user.pk}:{today.isoformat()}"
        found = cache.get(key)
        if found is None:
            found = due_candidate_count(self.user, today)
            if not reading_replica():  # a lagging replica's count is not for a minute
                cache.set(key, found, timeout=BADGE_CACHE_SECONDS)
        return found

    @property
    def label(self) -> str:
        return f"{BADGE_LIMIT}+" if self.count > BADGE_LIMIT else str(self.count)


# --- the digest e-mails -----------------------------------------------------------------


def week_start(today: date) -> date:
    """The last ``REMINDER_WEEKDAY`` on or before ``today``: weekly digests go from then."""
    return today - timedelta(days=(today.isoweekday() - rule("REMINDER_WEEKDAY")) % 7)


def recipients(today: date):
    """Users whose digest of ``today`` is not done yet: daily ones with no digest of the
    day, weekly ones with none since the week's day (so a digest that failed on that day
    goes on the next run), from the week's day on; off, no e-mail address, no unit or
    inactive: none."""
    users = (
        User.objects.filter(is_active=True, unit__isnull=False)
        .exclude(email="")
        .select_related("unit")
    )
    done = ReminderDigest.objects.exclude(abandoned())
    done_today = done.filter(day=today).values("user")
    done_this_week = done.filter(day__gte=week_start(today)).values("user")
    daily = Q(reminders=User.Reminders.DAILY) & ~Q(pk__in=done_today)
    weekly = Q(reminders=User.Reminders.WEEKLY) & ~Q(pk__in=done_this_week)
    return users.filter(daily | weekly).order_by("pk")


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def digest_message(user, groups: list[WarningGroup], today: date) -> EmailMultiAlternatives:
    """The digest for ``user``: plain text and HTML, in the user's language, with a link to
    each candidate and to each full list. Names, units, stages and dates only."""
    total = sum(group.total for group in groups)
    sections = [
        {
            "group": group,
            "items": [
                (item, _absolute(reverse("recruitment:candidate-detail", args=[item.candidate_id])))
                for item in group.items[:DIGEST_ITEMS]
            ],
            "more": group.total - min(len(group.items), DIGEST_ITEMS),
            "url": _absolute(reverse("recruitment:reminder-list") + f"?kind={group.kind}"),
        }
        for group in groups
        if group.total
    ]
    context = {
        "user": user,
        "unit": user.unit,
        "today": today,
        "total": total,
        "sections": sections,
        "list_url": _absolute(reverse("recruitment:reminder-list")),
        "profile_url": _absolute(reverse("accounts:profile")),
    }
    subject = ngettext(
        "%(count)s reminder for %(unit)s", "%(count)s reminders for %(unit)s", total
    ) % {"count": total, "unit": user.unit.name}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("recruitment/reminders/digest.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("recruitment/reminders/digest.html", context), "text/html"
    )
    return message


logger = logging.getLogger(__name__)

# A claimed digest not sent after this long was left by a run that died while sending.
ABANDONED_AFTER = timedelta(minutes=30)
# What a mail server that is down or refuses raises: the user's digest waits for the next run.
MAIL_ERRORS = (smtplib.SMTPException, OSError)


def abandoned() -> Q:
    """Digests claimed and never sent by a run that died while sending (``ABANDONED_AFTER``
    ago or more): the next run sends them."""
    return Q(items__gt=0, sent_at__isnull=True, claimed_at__lte=timezone.now() - ABANDONED_AFTER)


def _claim(user, today: date, total: int) -> ReminderDigest | None:
    """The user's digest of ``today``, claimed for this run; None if another run has it or
    it is done. A claim that run abandoned is taken over (its row locked, then renewed)."""
    try:
        with transaction.atomic():
            return ReminderDigest.objects.create(user=user, day=today, items=total)
    except IntegrityError:
        pass
    with transaction.atomic():
        left = (
            ReminderDigest.objects.select_for_update(skip_locked=True)
            .filter(abandoned(), user=user, day=today)
            .first()
        )
        if left is None:
            return None
        left.items, left.claimed_at = total, timezone.now()
        left.save(update_fields=["items", "claimed_at"])
        return left


def send_digest(user, today: date) -> int | None:
    """Send ``user``'s digest of ``today`` if something is due, and record it: returns the
    number of items (0: nothing due, nothing sent, recorded so that a weekly user is not
    asked again that week). A digest already recorded for the day is not sent again
    (returns None); a mail error propagates with nothing recorded, so the next run retries.
    """
    with translation.override(user.language or settings.LANGUAGE_CODE):
        groups = digest_groups(user, today)
        total = sum(group.total for group in groups)
        # Claimed before sending, so that two runs at once do not both send it.
        digest = _claim(user, today, total)
        if digest is None:
            return None
        if not total:
            return 0
        try:
            digest_message(user, groups, today).send()
        except BaseException:
            digest.delete()
            raise
    digest.sent_at = timezone.now()
    digest.save(update_fields=["sent_at"])
    return total


def send_all(today: date, *, log=None) -> tuple[int, int]:
    """Every due digest of ``today``: returns (sent, failed). One user's mail error is
    logged and skipped; the others are sent."""
    sent = failed = 0
    # A connection per digest: one that broke on a user's mail is not reused for the next.
    for user in recipients(today).iterator():
        try:
            items = send_digest(user, today)
        except Exception as error:  # one user's digest, whatever broke it: the others go
            failed += 1
            if not isinstance(error, MAIL_ERRORS):
                logger.exception("The reminders of %s were not sent", user.username)
            if log:
                log(f"{user.username}: {error.__class__.__name__}: {error}")
            continue
        sent += bool(items)
    return sent, failed
