from __future__ import annotations

from django.urls import path

from . import views

app_name = "operate"

urlpatterns = [
    path("", views.home, name="home"),
    path("processes/", views.processes, name="processes"),
    path("processes/<uuid:key>/", views.process, name="process"),
    path("instances/", views.instances, name="instances"),
    path("instances/<uuid:key>/", views.instance, name="instance"),
    path("incidents/", views.incidents, name="incidents"),
]
