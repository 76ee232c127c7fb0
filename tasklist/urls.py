from __future__ import annotations

from django.urls import path

from . import views

app_name = "tasklist"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("tasks/<uuid:key>/", views.task, name="task"),
    path("start/", views.start, name="start"),
    path("start/<str:process_id>/", views.start_form, name="start_form"),
]
