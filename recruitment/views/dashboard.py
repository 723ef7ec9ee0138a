from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def dashboard(request):
    """Placeholder until the dashboard issue lands."""
    return render(request, "recruitment/dashboard_placeholder.html")
