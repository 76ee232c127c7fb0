"""/external-task: fetch and lock (with long polling), complete, failure, bpmnError, extendLock,
unlock, get, errorDetails, retries, query; /job: query and retries.

Long polling: fetchAndLock is an async view. While a request waits it holds no thread and
no database connection: one poller per event loop asks the database every POLL_SECONDS which
of the topics anybody waits for have work (a single cheap query, however many workers wait)
and wakes the waiters of those topics, which then try to lock. Served by an ASGI server
(uvicorn) a waiting worker costs a coroutine; under WSGI (runserver, gunicorn gthread) each
waiting request keeps its worker thread (see docs/operations.md).

Per-process rules (orchestration.access): tasks and jobs of a process a rule hides from the
caller are left out of queries and do not exist by id; every command on one needs its
capability ("work_jobs", or "repair" for retries) on the task's process (403 otherwise).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import weakref
from datetime import timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response

from ... import access, services
from ...exceptions import DomainError
from ...models import Job, ProcessDefinition
from ...services.external_tasks import TopicFilter, topics_with_work
from . import dto
from .base import (
    READ,
    CachedBasicAuthentication,
    CamundaError,
    CamundaView,
    Params,
    as_bool,
    as_int,
    as_list,
    definition_keys_of,
    domain_to_camunda,
    error_response,
    invalid,
    maybe_uuid,
    paginate,
    parse_date,
    require,
    without_hidden,
)
from .reads import extension_properties, visible_variables
from .variables import variables_in, variables_out

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
MAX_ASYNC_RESPONSE_TIMEOUT_MS = 1_800_000
WORK = ("work_jobs",)


# -- fetch and lock ------------------------------------------------------------


def _topic_filter(raw: Any) -> tuple[TopicFilter | None, dict[str, Any]]:
    """One topic of the request -> (a filter, or None if nothing can match; how to return variables)."""
    if not isinstance(raw, dict):
        raise invalid("each topic must be a JSON object")
    name = raw.get("topicName")
    if not isinstance(name, str) or not name:
        raise invalid("topicName is required for each topic")
    lock_ms = as_int(raw.get("lockDuration"), "lockDuration")
    if lock_ms is None or lock_ms <= 0:
        raise invalid(f"lockDuration of topic '{name}' must be a positive number of milliseconds")
    variables = raw.get("variables")
    if variables is not None and not isinstance(variables, list):
        raise invalid("'variables' must be a list of variable names")
    process_vars = raw.get("processVariables") or {}
    if not isinstance(process_vars, dict):
        raise invalid("'processVariables' must be a JSON object of name -> value")
    options = {
        "variables": None if variables is None else [str(v) for v in variables],
        "local": bool(as_bool(raw.get("localVariables"), "localVariables")),
    }
    ids = as_list(raw.get("processDefinitionIdIn")) + as_list(raw.get("processDefinitionId"))
    keys = as_list(raw.get("processDefinitionKeyIn")) + as_list(raw.get("processDefinitionKey"))
    definition_keys = definition_keys_of(ids)
    if ids and not definition_keys:
        return None, options
    tag = raw.get("processDefinitionVersionTag")
    if tag:
        tagged = list(ProcessDefinition.objects.filter(version_tag=str(tag)).values_list("key", flat=True))
        definition_keys = [k for k in definition_keys if k in tagged] if definition_keys else tagged
        if not definition_keys:
            return None, options
    if as_list(raw.get("tenantIdIn")):
        return None, options  # no tenants here: nothing belongs to one
    business_key = raw.get("businessKey")
    return (
        TopicFilter(
            topic=name,
            lock_seconds=lock_ms / 1000,
            business_key=str(business_key) if business_key is not None else None,
            bpmn_process_ids=tuple(keys),
            definition_keys=tuple(definition_keys),
            process_variables={str(k): v for k, v in process_vars.items()},
        ),
        options,
    )


class FetchRequest:
    def __init__(self, body: Any):
        if not isinstance(body, dict):
            raise invalid("the request body must be a JSON object")
        self.worker = body.get("workerId")
        if not isinstance(self.worker, str) or not self.worker:
            raise invalid("workerId is required")
        self.max_tasks = as_int(body.get("maxTasks"), "maxTasks", minimum=0) or 0
        self.use_priority = bool(as_bool(body.get("usePriority"), "usePriority"))
        timeout = as_int(body.get("asyncResponseTimeout"), "asyncResponseTimeout", minimum=0)
        if timeout is not None and timeout > MAX_ASYNC_RESPONSE_TIMEOUT_MS:
            raise invalid(
                f"The asynchronous response timeout cannot be set to a value greater than {MAX_ASYNC_RESPONSE_TIMEOUT_MS} milliseconds"
            )
        self.timeout = (timeout or 0) / 1000
        topics = body.get("topics") or []
        if not isinstance(topics, list):
            raise invalid("'topics' must be a list")
        self.filters: list[TopicFilter] = []
        self.options: dict[str, dict[str, Any]] = {}
        for raw in topics:
            topic, options = _topic_filter(raw)
            if topic is not None and topic.topic not in self.options:
                self.filters.append(topic)
                self.options[topic.topic] = options

    @property
    def topic_names(self) -> set[str]:
        return {t.topic for t in self.filters}


def _fetch(request: FetchRequest, actor: Any) -> list[dict[str, Any]]:
    jobs = services.fetch_and_lock(
        request.worker,
        request.filters,
        max_tasks=request.max_tasks,
        use_priority=request.use_priority,
        exclude_process_ids=access.activation_excluded(actor),  # a rule's processes: never handed out
    )
    out = []
    for job in jobs:
        options = request.options.get(job.type, {})
        values = visible_variables(job.instance_id, job.element_instance_key, local=options.get("local", False))
        properties = extension_properties(job.definition, job.element_id)
        out.append(dto.locked_external_task(job, variables_out(values, options.get("variables")), properties))
    return out


def _authenticate(request) -> Any:
    """DRF's Basic then session authentication (session requests must pass CSRF), then the capability."""
    drf_request = Request(request, authenticators=[CachedBasicAuthentication(), SessionAuthentication()])
    user = drf_request.user
    if user is None or not user.is_authenticated:
        raise drf.NotAuthenticated("Authentication required: send HTTP Basic credentials")
    require(user, *WORK)
    return user


def _topics_ready(names: set[str]) -> set[str]:
    try:
        return topics_with_work(names)
    finally:
        # the poller runs in a shared executor thread: never keep a connection there between polls
        connection.close()


async def _in_thread(func, *args):
    """Database work of a request runs in its own (thread-sensitive) context, as Django's views do."""
    return await sync_to_async(func, thread_sensitive=True)(*args)


def _release_connection() -> None:
    """A waiting request holds no database connection (none is closed inside a transaction, as in tests)."""
    if not connection.in_atomic_block:
        connection.close()


class _Waiters:
    """Long-polling requests of one event loop and the one poller that wakes them."""

    def __init__(self) -> None:
        self.waiting: dict[asyncio.Future, frozenset[str]] = {}
        self.poller: asyncio.Task | None = None

    async def wait(self, topics: set[str], timeout: float) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self.waiting[future] = frozenset(topics)
        if self.poller is None or self.poller.done():
            self.poller = loop.create_task(self._poll())
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            self.waiting.pop(future, None)

    async def _poll(self) -> None:
        while self.waiting:
            await asyncio.sleep(POLL_SECONDS)
            wanted: set[str] = set().union(*self.waiting.values()) if self.waiting else set()
            if not wanted:
                continue
            try:
                ready = await sync_to_async(_topics_ready, thread_sensitive=False)(wanted)
            except Exception:  # noqa: BLE001 - a failed poll must not end long polling; the next one retries
                log.exception("long-polling check failed")
                continue
            for future, topics in list(self.waiting.items()):
                if topics & ready and not future.done():
                    future.set_result(True)


_waiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Waiters] = weakref.WeakKeyDictionary()


def _waiters_for_loop() -> _Waiters:
    loop = asyncio.get_running_loop()
    waiters = _waiters.get(loop)
    if waiters is None:
        waiters = _waiters[loop] = _Waiters()
    return waiters


def _error(exc: Exception) -> JsonResponse:
    if isinstance(exc, CamundaError):
        return error_response(exc.status, exc.type, exc.message)
    if isinstance(exc, DomainError):
        mapped = domain_to_camunda(exc)
        return error_response(mapped.status, mapped.type, mapped.message)
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return error_response(
            401, "AuthenticationException", str(exc.detail), {"WWW-Authenticate": 'Basic realm="engine-rest"'}
        )
    if isinstance(exc, drf.PermissionDenied):
        return error_response(403, "AuthorizationException", str(exc.detail))
    raise exc


@csrf_exempt  # CSRF is checked by SessionAuthentication for session users only, as in DRF views
async def fetch_and_lock(request) -> HttpResponse:
    """POST /external-task/fetchAndLock: lock tasks now, or wait up to asyncResponseTimeout for some."""
    if request.method != "POST":
        return error_response(405, "NotAllowedException", "use POST")
    try:
        actor = await _in_thread(_authenticate, request)
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise invalid(f"the request body is not valid JSON: {exc}") from None
        fetch = FetchRequest(body) if body is not None else FetchRequest({})
        deadline = time.monotonic() + fetch.timeout
        tasks = await _in_thread(_fetch, fetch, actor)
        while not tasks and fetch.filters and fetch.max_tasks > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await _in_thread(_release_connection)
            await _waiters_for_loop().wait(fetch.topic_names, remaining)
            tasks = await _in_thread(_fetch, fetch, actor)
    except (CamundaError, DomainError, drf.APIException) as exc:
        return _error(exc)
    return JsonResponse(tasks, safe=False)


# -- one external task -----------------------------------------------------------


def open_external_task(task_id: str, user: Any) -> Job:
    """An external task exists (for Camunda) while it is open: done ones are gone (404), and
    so are those of a process a rule hides from ``user``."""
    key = maybe_uuid(task_id)
    job = (
        Job.objects.select_related("instance", "definition")
        .filter(key=key, internal=False, state__in=Job.OPEN_STATES)
        .first()
        if key
        else None
    )
    if job is None or access.hides_process(user, job.bpmn_process_id):
        raise CamundaError(404, "NotFoundException", f"External task with id {task_id} does not exist")
    return job


class ExternalTaskWrite(CamundaView):
    """A command on one open external task: found as the reads find it, then the per-process rules."""

    def task_for_change(self, task_id: str) -> Job:
        job = open_external_task(task_id, self.request.user)
        self.check_process(job.bpmn_process_id, f"external task {job.key}")
        return job


def _worker_of(body: dict[str, Any]) -> str:
    worker = body.get("workerId")
    if not isinstance(worker, str) or not worker:
        raise invalid("workerId is required")
    return worker


def _check_owner(job: Job, worker: str, verb: str) -> str:
    if job.state == Job.State.LOCKED and job.lock_owner and job.lock_owner != worker:
        raise CamundaError(
            400,
            "BadUserRequestException",
            f"External Task {job.key} cannot be {verb} by worker '{worker}'. It is locked by worker '{job.lock_owner}'.",
        )
    return worker


class ExternalTaskDetail(CamundaView):
    def get(self, request, task_id: str) -> Response:
        return Response(dto.external_task(open_external_task(task_id, request.user)))


class ExternalTaskErrorDetails(CamundaView):
    def get(self, request, task_id: str) -> HttpResponse:
        job = open_external_task(task_id, request.user)
        if not job.error_details:
            return HttpResponse(status=204)
        return HttpResponse(job.error_details, content_type="text/plain; charset=utf-8")


class ExternalTaskComplete(ExternalTaskWrite):
    capabilities = {"POST": WORK}

    def post(self, request, task_id: str) -> Response:
        job = self.task_for_change(task_id)
        body = self.body()
        worker = _worker_of(body)
        _check_owner(job, worker, "completed")
        services.complete_external_task(
            job.key,
            actor=request.user,
            worker=worker,
            variables=variables_in(body.get("variables")),
            local_variables=variables_in(body.get("localVariables"), "localVariables"),
        )
        return Response(status=204)


class ExternalTaskFailure(ExternalTaskWrite):
    capabilities = {"POST": WORK}

    def post(self, request, task_id: str) -> Response:
        job = self.task_for_change(task_id)
        body = self.body()
        worker = _worker_of(body)
        retries = as_int(body.get("retries"), "retries")
        if retries is not None and retries < 0:
            raise invalid("The number of retries cannot be negative.")
        timeout_ms = as_int(body.get("retryTimeout"), "retryTimeout", minimum=0) or 0
        variables = variables_in(body.get("variables"))
        local = variables_in(body.get("localVariables"), "localVariables")
        _check_owner(job, worker, "failed")
        with transaction.atomic():
            if variables:
                services.set_variables(job.instance_id, variables, actor=request.user)
            if local:
                services.set_variables(job.instance_id, local, actor=request.user, scope_key=job.element_instance_key)
            services.fail_job(
                job.key,
                actor=request.user,
                # Camunda reads a missing retries as 0: the failure raises an incident
                retries=retries or 0,
                error_message=str(body.get("errorMessage") or ""),
                error_details=str(body.get("errorDetails") or ""),
                retry_backoff=timedelta(milliseconds=timeout_ms),
                worker=worker,
            )
        return Response(status=204)


class ExternalTaskBpmnError(ExternalTaskWrite):
    capabilities = {"POST": WORK}

    def post(self, request, task_id: str) -> Response:
        job = self.task_for_change(task_id)
        body = self.body()
        worker = _worker_of(body)
        code = body.get("errorCode")
        if not isinstance(code, str) or not code:
            raise invalid("errorCode is required")
        variables = variables_in(body.get("variables"))
        _check_owner(job, worker, "reported with a BPMN error")
        with transaction.atomic():
            # as in Camunda, the variables are set from the task's execution: they reach the process
            # scope (a variable set only on the task's own scope would end with it)
            if variables:
                services.set_variables(job.instance_id, variables, actor=request.user)
            services.throw_job_error(job.key, code, actor=request.user, message=str(body.get("errorMessage") or ""))
        return Response(status=204)


class ExternalTaskExtendLock(ExternalTaskWrite):
    capabilities = {"POST": WORK}

    def post(self, request, task_id: str) -> Response:
        job = self.task_for_change(task_id)
        body = self.body()
        worker = _worker_of(body)
        duration = as_int(body.get("newDuration"), "newDuration")
        if duration is None or duration <= 0:
            raise invalid("newDuration must be a positive number of milliseconds")
        if job.state != Job.State.LOCKED or job.lock_owner != worker:
            raise CamundaError(
                400,
                "BadUserRequestException",
                f"The lock of the External Task {job.key} cannot be extended by worker '{worker}'",
            )
        services.extend_job_lock(job.key, worker=worker, seconds=max(1, math.ceil(duration / 1000)))
        return Response(status=204)


class ExternalTaskUnlock(ExternalTaskWrite):
    capabilities = {"POST": WORK}

    def post(self, request, task_id: str) -> Response:
        job = self.task_for_change(task_id)
        services.unlock_job(job.key, actor=request.user)
        return Response(status=204)


def _retries_of(body: dict[str, Any]) -> int:
    retries = as_int(body.get("retries"), "retries")
    if retries is None or retries < 0:
        raise invalid("retries must be a number >= 0")
    return retries


class ExternalTaskRetries(ExternalTaskWrite):
    capabilities = {"PUT": ("repair",)}

    def put(self, request, task_id: str) -> Response:
        job = self.task_for_change(task_id)
        retries = _retries_of(self.body())
        services.set_job_retries(job.key, retries, actor=request.user)
        return Response(status=204)


def _external_task_query(params: Params, user: Any):
    jobs = Job.objects.select_related("instance", "definition").filter(internal=False, state__in=Job.OPEN_STATES)
    jobs = without_hidden(jobs, user)
    ids = params.list("externalTaskIdIn") + params.list("externalTaskId")
    if ids:
        jobs = jobs.filter(key__in=[k for k in map(maybe_uuid, ids) if k])
    if params.has("topicName"):
        jobs = jobs.filter(type=params.str("topicName"))
    if params.has("workerId"):
        jobs = jobs.filter(state=Job.State.LOCKED, lock_owner=params.str("workerId"))
    if params.bool("locked"):
        jobs = jobs.filter(state=Job.State.LOCKED)
    if params.bool("notLocked"):
        jobs = jobs.exclude(state=Job.State.LOCKED)
    if params.bool("withRetriesLeft"):
        jobs = jobs.exclude(state=Job.State.FAILED)
    if params.bool("noRetriesLeft"):
        jobs = jobs.filter(state=Job.State.FAILED)
    if params.has("lockExpirationAfter"):
        jobs = jobs.filter(lock_expires_at__gt=parse_date(params.str("lockExpirationAfter"), "lockExpirationAfter"))
    if params.has("lockExpirationBefore"):
        jobs = jobs.filter(lock_expires_at__lt=parse_date(params.str("lockExpirationBefore"), "lockExpirationBefore"))
    activities = params.list("activityIdIn") + params.list("activityId")
    if activities:
        jobs = jobs.filter(element_id__in=activities)
    if params.has("executionId"):
        jobs = jobs.filter(element_instance_key=maybe_uuid(params.str("executionId")))
    instances = params.list("processInstanceIdIn") + params.list("processInstanceId")
    if instances:
        jobs = jobs.filter(instance_id__in=[k for k in map(maybe_uuid, instances) if k])
    if params.has("processDefinitionId"):
        jobs = jobs.filter(definition_id__in=definition_keys_of([params.str("processDefinitionId")]))
    if params.bool("active"):
        jobs = jobs.filter(instance__suspended=False)
    if params.bool("suspended"):
        jobs = jobs.filter(instance__suspended=True)
    if params.has("priorityHigherThanOrEquals"):
        jobs = jobs.filter(priority__gte=params.int("priorityHigherThanOrEquals"))
    if params.has("priorityLowerThanOrEquals"):
        jobs = jobs.filter(priority__lte=params.int("priorityLowerThanOrEquals"))
    if params.list("tenantIdIn"):
        jobs = jobs.none()
    return jobs.order_by("created_at", "key")


class ExternalTaskList(CamundaView):
    capabilities = {"GET": READ, "POST": READ}

    def get(self, request) -> Response:
        jobs = _external_task_query(Params.of_query(request), request.user)
        return Response([dto.external_task(j) for j in paginate(jobs, request)])

    def post(self, request) -> Response:
        jobs = _external_task_query(Params.of_body(self.body()), request.user)
        return Response([dto.external_task(j) for j in paginate(jobs, request)])


class ExternalTaskCount(CamundaView):
    capabilities = {"GET": READ, "POST": READ}

    def get(self, request) -> Response:
        return Response({"count": _external_task_query(Params.of_query(request), request.user).count()})

    def post(self, request) -> Response:
        return Response({"count": _external_task_query(Params.of_body(self.body()), request.user).count()})


class ExternalTaskRetriesBulk(CamundaView):
    capabilities = {"PUT": ("repair",)}

    def put(self, request) -> Response:
        body = self.body()
        retries = _retries_of(body)
        keys = {k for k in map(maybe_uuid, as_list(body.get("externalTaskIds"))) if k}
        instance_keys = [k for k in map(maybe_uuid, as_list(body.get("processInstanceIds"))) if k]
        if instance_keys:
            keys |= set(
                Job.objects.filter(
                    internal=False, state__in=Job.OPEN_STATES, instance_id__in=instance_keys
                ).values_list("key", flat=True)
            )
        query = body.get("externalTaskQuery")
        if isinstance(query, dict):
            keys |= set(_external_task_query(Params.of_body(query), request.user).values_list("key", flat=True))
        if not keys and not body.get("externalTaskIds") and not instance_keys and query is None:
            raise invalid("externalTaskIds, processInstanceIds or externalTaskQuery must be given")
        access.check_selection(request.user, Job.objects.filter(key__in=keys))  # all or nothing
        for key in sorted(keys):
            services.set_job_retries(key, retries, actor=request.user)
        return Response(status=204)


# -- /job (jobs of Python handlers) ------------------------------------------------


def _job_query(params: Params, user: Any):
    jobs = Job.objects.select_related("instance", "definition").filter(internal=True, state__in=Job.OPEN_STATES)
    jobs = without_hidden(jobs, user)
    ids = params.list("jobIds") + params.list("jobId")
    if ids:
        jobs = jobs.filter(key__in=[k for k in map(maybe_uuid, ids) if k])
    instances = params.list("processInstanceIds") + params.list("processInstanceId")
    if instances:
        jobs = jobs.filter(instance_id__in=[k for k in map(maybe_uuid, instances) if k])
    if params.has("processDefinitionKey"):
        jobs = jobs.filter(bpmn_process_id=params.str("processDefinitionKey"))
    if params.has("processDefinitionId"):
        jobs = jobs.filter(definition_id__in=definition_keys_of([params.str("processDefinitionId")]))
    activities = params.list("activityId") + params.list("failedActivityId")
    if activities:
        jobs = jobs.filter(element_id__in=activities)
    if params.bool("withRetriesLeft"):
        jobs = jobs.exclude(state=Job.State.FAILED)
    if params.bool("noRetriesLeft"):
        jobs = jobs.filter(state=Job.State.FAILED)
    if params.bool("withException"):
        jobs = jobs.exclude(error_message="")
    if params.bool("active"):
        jobs = jobs.filter(instance__suspended=False)
    if params.bool("suspended"):
        jobs = jobs.filter(instance__suspended=True)
    if params.list("tenantIdIn"):
        jobs = jobs.none()
    descending = params.str("sortOrder") == "desc"
    return jobs.order_by("-created_at" if descending else "created_at", "key")


def _open_job(job_id: str, user: Any) -> Job:
    key = maybe_uuid(job_id)
    job = (
        Job.objects.select_related("instance", "definition")
        .filter(key=key, internal=True, state__in=Job.OPEN_STATES)
        .first()
        if key
        else None
    )
    if job is None or access.hides_process(user, job.bpmn_process_id):
        raise CamundaError(404, "InvalidRequestException", f"Job with id {job_id} does not exist")
    return job


class JobList(CamundaView):
    capabilities = {"GET": READ, "POST": READ}

    def get(self, request) -> Response:
        return Response([dto.job(j) for j in paginate(_job_query(Params.of_query(request), request.user), request)])

    def post(self, request) -> Response:
        return Response([dto.job(j) for j in paginate(_job_query(Params.of_body(self.body()), request.user), request)])


class JobCount(CamundaView):
    capabilities = {"GET": READ, "POST": READ}

    def get(self, request) -> Response:
        return Response({"count": _job_query(Params.of_query(request), request.user).count()})

    def post(self, request) -> Response:
        return Response({"count": _job_query(Params.of_body(self.body()), request.user).count()})


class JobDetail(CamundaView):
    def get(self, request, job_id: str) -> Response:
        return Response(dto.job(_open_job(job_id, request.user)))


class JobRetries(CamundaView):
    capabilities = {"PUT": ("repair",)}

    def put(self, request, job_id: str) -> Response:
        job = _open_job(job_id, request.user)
        retries = _retries_of(self.body())
        self.check_process(job.bpmn_process_id, f"job {job.key}")
        services.set_job_retries(job.key, retries, actor=request.user)
        return Response(status=204)
