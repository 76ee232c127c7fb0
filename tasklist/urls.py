from __future__ import annotations

from django.urls import path

from . import views

app_name = "tasklist"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("tasks/<uuid:key>/", views.task, name="task"),
]
