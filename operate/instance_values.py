"""The full value of one variable, for the instance page's "show full value" link.

The variables panel shows values up to a preview size; ``?variable=<name>&scope=<scope key>``
on the instance page answers with the whole value: the value alone for htmx (swapped into
the table cell), a small page without JavaScript. The caller (``views.instance``) has
already checked that the user may see the instance; masked variables stay masked here.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from orchestration import access
from orchestration.models import ProcessInstance, Variable


def variable_value(request: HttpRequest, instance: ProcessInstance) -> HttpResponse:
    name = request.GET.get("variable", "")
    try:
        scope_key = uuid.UUID(request.GET.get("scope", "") or str(instance.key))
    except ValueError:
        raise Http404("Not a scope key.") from None
    variable = Variable.objects.filter(instance=instance, scope_key=scope_key, name=name).first()
    if variable is None:
        raise Http404("No such variable.")
    if name in access.masked_names(request.user, instance.bpmn_process_id):
        variable.value = access.MASK
        variable.masked = True
    template = "operate/instance_variable.html#value" if request.htmx else "operate/instance_variable.html"
    return render(request, template, {"instance": instance, "variable": variable})
