from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    """Organisers start at their candidates, Organisation Board staff at the dashboard."""
    if request.user.is_board_staff:
        return redirect("recruitment:dashboard")
    return redirect("recruitment:candidate-list")
