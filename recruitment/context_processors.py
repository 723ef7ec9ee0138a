from recruitment.reminders import Badge


def reminders(request):
    """The navigation bar's count of candidates with something due; counted (one query)
    only on pages that show the navigation bar to a signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"reminder_badge": Badge(user)}
