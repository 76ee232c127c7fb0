"""Settings, all read from the environment (see docs/operations.md).

Embedded defaults need no server: a SQLite file and kombu's filesystem broker
under var/. Set DATABASE_URL and CELERY_BROKER_URL for PostgreSQL and Redis.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .env import database_from_url, env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# Starts with "django-insecure-" so `check --deploy` flags it when SECRET_KEY is unset.
_DEV_SECRET = "django-insecure-dev-only-secret-key-change-me-0123456789abcdefghijklmnop"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG or env_bool("ALLOW_DEV_SECRET", True) else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "orchestration",
    "operate",
    "tasklist",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "orchestration.middleware.RejectNulInQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {"default": database_from_url(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'orchestration.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The covering index (INCLUDE) for Operate is a PostgreSQL feature; SQLite (the embedded
# default) builds the plain index instead, which is fine for a laptop.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Security: production values come from the environment (docs/operations.md).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# htmx sends the token from the page (base.html hx-headers), never from the cookie
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# OpenAPI of /api/v1 (docs/api.md); Swagger UI and Redoc come from drf-spectacular-sidecar's static files (no CDN).
SPECTACULAR_SETTINGS = {
    "TITLE": "Orchestration API",
    "DESCRIPTION": (
        "Native REST API: deployments (and their diagrams), process instances, messages, signals, jobs, incidents, "
        "user tasks, batch operations."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "PREPROCESSING_HOOKS": ["orchestration.api.v1.schema.only_v1"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # the batch kind and the modification instruction kind are both "kind"
    "ENUM_NAME_OVERRIDES": {
        "BatchKindEnum": "orchestration.models.batches.BatchOperation.Kind",
        # an instance modification's "kind" and a modify batch's "op" take the same values
        "ModificationOpEnum": "orchestration.services.modification.KINDS",
    },
}

# Celery ----------------------------------------------------------------------
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    # kombu's filesystem transport with atomic writes (a half-written file killed the worker)
    CELERY_BROKER_TRANSPORT = "orchestration.filesystem_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "out"),
        "data_folder_out": str(_BROKER_DIR / "out"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
        # kombu sleeps this long whenever the queue folder is empty (its default is 1 s,
        # which a chain of short tasks pays at every hop)
        "polling_interval": env_float("CELERY_POLLING_INTERVAL", 0.1),
    }
    # One file per message: beat's sub-second schedule outruns this broker (expired
    # copies pile up in out/ and delay real work), so the demo polls less often.
    _TIMER_POLL_DEFAULT, _SWEEP_DEFAULT = 1.0, 5.0
    # A late ack on this transport is only sent when the worker's loop comes round
    # (at a delivery or after a 2 s idle wait): with every prefetched message unacked
    # the worker stalls, capping it near one task a second. Ack on receipt instead;
    # a job whose task is lost with a killed worker is re-dispatched by the sweeper.
    _ACKS_LATE = False
else:
    # Redis: a task not acknowledged within this time is delivered again; keep it
    # above the longest job handler. Long delays are never ETA tasks (timers are rows).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
    _TIMER_POLL_DEFAULT, _SWEEP_DEFAULT = 0.25, 1.0
    _ACKS_LATE = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = _ACKS_LATE
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "fire-due-timers": {
        "task": "orchestration.tasks.fire_due_timers",
        "schedule": env_float("TIMER_POLL_SECONDS", _TIMER_POLL_DEFAULT),
        "options": {"expires": 5},
    },
    "sweep-jobs": {
        "task": "orchestration.tasks.sweep_jobs",
        "schedule": env_float("SWEEP_SECONDS", _SWEEP_DEFAULT),
        "options": {"expires": 30},
    },
}

# The engine's own settings, read lazily through orchestration.conf.
ORCHESTRATION = {
    "MAX_XML_BYTES": env_int("ORCHESTRATION_MAX_XML_BYTES", 5 * 1024 * 1024),
    "MAX_VARIABLE_BYTES": env_int("ORCHESTRATION_MAX_VARIABLE_BYTES", 1024 * 1024),
    "DEFAULT_JOB_RETRIES": env_int("ORCHESTRATION_DEFAULT_JOB_RETRIES", 3),
    "JOB_LOCK_SECONDS": env_int("ORCHESTRATION_JOB_LOCK_SECONDS", 300),
    "RETRY_BACKOFF_SECONDS": env_float("ORCHESTRATION_RETRY_BACKOFF_SECONDS", 1.0),
    "RETRY_BACKOFF_MAX_SECONDS": env_float("ORCHESTRATION_RETRY_BACKOFF_MAX_SECONDS", 600.0),
    "REDISPATCH_AFTER_SECONDS": env_float("ORCHESTRATION_REDISPATCH_AFTER_SECONDS", 30.0),
    "MAX_DISPATCH_ATTEMPTS": env_int("ORCHESTRATION_MAX_DISPATCH_ATTEMPTS", 10),
    "TIMER_BATCH": env_int("ORCHESTRATION_TIMER_BATCH", 200),
    "HTTP_CONNECTOR_TIMEOUT": env_float("ORCHESTRATION_HTTP_CONNECTOR_TIMEOUT", 10.0),
    "INLINE_JOB_CHAIN": env_int("ORCHESTRATION_INLINE_JOB_CHAIN", 50),
    # Dotted module paths imported at start so their @handler registrations run.
    "EXTRA_HANDLER_MODULES": env_list("ORCHESTRATION_EXTRA_HANDLER_MODULES", []),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
