from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def staff_required(view):
    """Organisation Board staff and admins only; an organiser gets 403 (they may see, not act)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_board_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
