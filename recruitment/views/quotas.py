from django.shortcuts import render

from accounts.decorators import staff_required


@staff_required
def quota_list(request):
    """Placeholder until the dashboard issue lands."""
    return render(request, "recruitment/dashboard_placeholder.html")


@staff_required
def quota_plan(request):
    """Placeholder until the dashboard issue lands."""
    return render(request, "recruitment/dashboard_placeholder.html")
