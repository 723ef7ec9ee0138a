"""The numbers of the admission regulation (DESIGN.md §3), each a setting with a default.

Regulations change (the 2025 reform removed the district level), so no rule hard-codes a
number: override any of these in ``settings.RECRUITMENT`` or with an environment variable
``RECRUITMENT_<NAME>`` (see ``config/settings.py``). This module imports nothing from
Django apps, so settings can read it.
"""

DEFAULTS: dict[str, int | str] = {
    "MIN_AGE_YEARS": 18,
    "MAX_AGE_YEARS": 60,
    "CERTIFICATE_VALID_YEARS": 5,
    "YOUTH_UNION_MAX_AGE": 30,
    "INTRODUCER_KNOWN_MONTHS": 12,
    "OFFICIAL_INTRODUCERS_REQUIRED": 2,
    # Votes in favour must reach NUMERATOR/DENOMINATOR of the cell's official members.
    "VOTE_SHARE_NUMERATOR": 2,
    "VOTE_SHARE_DENOMINATOR": 3,
    "PROBATION_MONTHS": 12,
    "DOSSIER_VALID_MONTHS": 12,
    "DECISION_WITHIN_WORKING_DAYS": 60,
    "CEREMONY_WITHIN_WORKING_DAYS": 30,
    "RECOGNITION_WITHIN_WORKING_DAYS": 30,
    "CERTIFICATE_LAPSE_WARNING_DAYS": 90,
    "STUCK_AFTER_DAYS": 180,
    # The dashboard warns of deadlines this many days ahead.
    "WARN_AHEAD_DAYS": 30,
    # Reminders: certificates lapsing within this many days; weekly digests on this day of
    # the week (ISO: 1 Monday … 7 Sunday).
    "REMINDER_CERTIFICATE_DAYS": 30,
    "REMINDER_WEEKDAY": 1,
    # Planning: admission years whose conversion rate suggests next year's quota.
    "PLANNING_HISTORY_YEARS": 3,
    # The lowest Education value that satisfies "at least lower secondary".
    "MIN_EDUCATION": "lower_secondary",
}


def rule(name: str):
    """The value in force for rule ``name``: ``settings.RECRUITMENT`` over the default."""
    from django.conf import settings

    return getattr(settings, "RECRUITMENT", {}).get(name, DEFAULTS[name])
