"""System checks: a wrong pipeline setting stops `manage.py` at start, not a user mid-move."""

from django.core import checks

from recruitment.regulation import DEFAULTS, rule


@checks.register(checks.Tags.compatibility)
def check_pipeline_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from recruitment.models import Education

    errors = []

    def error(name: str, message: str) -> None:
        errors.append(
            checks.Error(
                f"RECRUITMENT['{name}'] = {rule(name)!r}: {message}",
                hint=f"Set RECRUITMENT_{name} to a valid value, or unset it for the default.",
                id="recruitment.E001",
            )
        )

    for name, default in DEFAULTS.items():
        if isinstance(default, int) and not (isinstance(rule(name), int) and rule(name) > 0):
            error(name, "must be a whole number above zero.")
    if rule("MIN_EDUCATION") not in Education.values:
        error("MIN_EDUCATION", f"must be one of {', '.join(Education.values)}.")
    numerator, denominator = rule("VOTE_SHARE_NUMERATOR"), rule("VOTE_SHARE_DENOMINATOR")
    if isinstance(numerator, int) and isinstance(denominator, int) and numerator > denominator:
        error("VOTE_SHARE_NUMERATOR", "cannot exceed VOTE_SHARE_DENOMINATOR.")
    if isinstance(rule("MIN_AGE_YEARS"), int) and rule("MIN_AGE_YEARS") >= rule("MAX_AGE_YEARS"):
        error("MIN_AGE_YEARS", "must be below MAX_AGE_YEARS.")
    weekday = rule("REMINDER_WEEKDAY")
    if isinstance(weekday, int) and weekday > 7:
        error("REMINDER_WEEKDAY", "must be a day of the week, 1 (Monday) to 7 (Sunday).")
    return errors
