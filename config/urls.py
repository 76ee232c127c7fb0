from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import include, path

from orchestration import access


@login_required
def home(request):
    """Send each user to the console their role uses."""
    if access.can_view(request.user):
        return redirect("operate:home")
    if access.can_work_tasks(request.user):
        return redirect("tasklist:inbox")
    return redirect("operate:home")  # answers 403 with an explanation


urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("operate/", include("operate.urls")),
    path("tasklist/", include("tasklist.urls")),
    path("engine-rest/", include("orchestration.api.camunda7.urls")),
    path("api/v1/", include("orchestration.api.v1.urls")),
]
