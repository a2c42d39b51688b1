"""novelproc settings, read from the environment.

No variable set: the embedded default (SQLite, django-q2 ORM broker, local
engine), everything on one machine. `DATABASE_URL` switches to PostgreSQL,
`REDIS_URL` to the Redis broker, cache and channel layer. See README.md.
"""

import json
import math
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from novelproc.env import env_bool, env_choice, env_float, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("NOVELPROC_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (the local run sets DEBUG=1).")
    SECRET_KEY = "insecure-local-development-key-only-used-with-DEBUG"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Deployment behind HTTPS -------------------------------------------------------
# PRODUCTION=1 switches every default below to what a public HTTPS deployment
# needs, so that `manage.py check --deploy` is clean; each can still be set on
# its own. Off, the local run and the tests keep plain HTTP.
PRODUCTION = env_bool("PRODUCTION", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("PRODUCTION=1 and DEBUG=1 exclude each other.")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# /metrics is scraped from inside the deployment over plain HTTP (the probes
# are answered before the redirect: novelproc.health.ProbeMiddleware).
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
# A year, subdomains included, and ready for the browsers' preload lists (as
# `check --deploy` asks); SECURE_HSTS_PRELOAD=0 for a domain that must not be listed.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
# Behind a proxy that ends TLS: the header it sets and its value for HTTPS,
# e.g. "X-Forwarded-Proto,https". Only set it when that proxy always sets (or
# strips) the header, or any client could claim HTTPS.
_proxy_header = env_list("SECURE_PROXY_SSL_HEADER", [])
if _proxy_header and len(_proxy_header) != 2:
    raise ImproperlyConfigured(f"SECURE_PROXY_SSL_HEADER must be 'Header-Name,value', got {','.join(_proxy_header)!r}")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_header[0].upper().replace("-", "_"), _proxy_header[1]) if _proxy_header else None
)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served as our own static files: the docs need no CDN
    "django_ratelimit",
    "axes",
    "jobs",  # before django_q: its `qcluster` command loads the engines first
    "django_q",
    "channels",
    "credits",
]

MIDDLEWARE = [
    "novelproc.logs.RequestIdMiddleware",
    "novelproc.health.ProbeMiddleware",  # before host validation and the HTTPS redirect: see its module
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag on every GET, 304 for If-None-Match: a client whose page did not change gets no body.
    # It hashes the rendered body, which saves bytes, not CPU: the status read
    # that pollers repeat sets its own ETag before rendering (jobs.api).
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: it replaces a locked-out login's answer
]

ROOT_URLCONF = "novelproc.urls"
WSGI_APPLICATION = "novelproc.wsgi.application"
ASGI_APPLICATION = "novelproc.asgi.application"

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
                "jobs.context_processors.processing_bounds",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", ("postgres", "postgresql", "pgsql"))
# The web server's processes (novelproc.asgi marks them) share a pool among
# their request threads: without one, every in-flight request held a
# connection of its own (257 for 200 pollers, against PostgreSQL's 100).
# Every other process keeps one persistent connection: qcluster forks its
# workers, and a pool's threads and sockets do not survive a fork. Both check
# a connection before use, so a restarted PostgreSQL costs no failed request.
# The bound: WEB_WORKERS × DB_POOL_MAX_SIZE + each cluster's 2 × Q_WORKERS + 3
# (a worker's task and its chunk's lease keeper, which its Gemini calls in flight share; README).
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 10, minimum=1)
DB_POOL_TIMEOUT = env_float("DB_POOL_TIMEOUT", 10, minimum=0.1)
SERVING_HTTP = env_str("NOVELPROC_SERVING") == "asgi"
if DATABASE_URL:
    _db = dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=0 if SERVING_HTTP else env_int("DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
    _db["ENGINE"] = "django.db.backends.postgresql"
    if SERVING_HTTP:
        _db["OPTIONS"] = {
            **_db.get("OPTIONS", {}),
            "pool": {"min_size": 2, "max_size": DB_POOL_MAX_SIZE, "timeout": DB_POOL_TIMEOUT},
        }
    DATABASES = {"default": _db}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(DATA_DIR / "db.sqlite3")),
            # Web, worker processes and the ORM broker share one file: WAL lets
            # readers run beside the writer, IMMEDIATE takes the write lock at
            # BEGIN so two writers queue instead of failing with "database is locked".
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, cache, channel layer ----------------------------------------
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
    }
    CHANNEL_LAYERS = {
        # channels-redis, riding out Redis outages (sockets fall back to re-reading the database).
        "default": {"BACKEND": "novelproc.channel_layer.ResilientRedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}},
    }
    # django-ratelimit lists only django-redis as supported; Django's own
    # RedisCache increments with Redis INCR, which is just as atomic.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
else:
    CACHES = {
        # Rate-limit counters: the embedded default runs a single web process,
        # so its local memory is the one place every request sees.
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # django-q2 keeps cluster stats in a cache that the web process must
        # read too ("workers alive"): a database table crosses processes.
        # The Gemini quota limiter keeps its per-minute slots here too: culling
        # at the default 300 rows would drop live slots.
        "q2stats": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "novelproc_q2_stats",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    SILENCED_SYSTEM_CHECKS = [
        # django-ratelimit wants a cache shared by processes; on the embedded
        # default only the one web process counts requests (see "default" above).
        "django_ratelimit.E003",
        "django_ratelimit.W001",
    ]

# --- Task cluster ----------------------------------------------------------------
# A chunk task renews its lease while it works; a chunk whose lease has expired
# was lost (worker killed, task dropped by the Redis broker) and is handed out
# again by the sweep. The task timeout bounds one chunk; django-q2's `retry`
# (redelivery by the ORM broker) must exceed it, or a slow chunk would be
# delivered twice while it still runs.
# The lease is renewed every quarter of it, and also while a Gemini call is in
# flight (a heartbeat thread); with a key it may not be shorter than two call
# timeouts (checked below), so that a missed heartbeat still outlives a call.
# Without Gemini the lease is short (a heartbeat renews it every quarter),
# so that a killed worker's chunk goes to another within seconds.
CHUNK_LEASE_SECONDS = env_int("CHUNK_LEASE_SECONDS", 240 if env_str("GEMINI_API_KEY") else 10, minimum=5)
CHUNK_TASK_TIMEOUT = env_int("CHUNK_TASK_TIMEOUT", 900, minimum=10)
CHUNK_MAX_ATTEMPTS = env_int("CHUNK_MAX_ATTEMPTS", 3, minimum=1)
SWEEP_MINUTES = env_int("SWEEP_MINUTES", 1, minimum=1)
# Each cluster's main process also sweeps this often (django-q2 schedules
# count in minutes): lost work is found within seconds of its lease ending.
SWEEP_SECONDS = env_float("SWEEP_SECONDS", 5, minimum=0.5)
# The local engine is CPU-bound: one worker per core. Gemini chunks mostly wait
# on the network: enough workers for a job's calls plus its read-ahead (5 + 2).
Q_WORKERS = env_int("Q_WORKERS", 7 if env_str("GEMINI_API_KEY") else 2, minimum=1)
# The niceness of the cluster's workers (0-19; Linux's default is 0). A
# rewrite is batch work and a status read is someone waiting: where the web
# and the cluster share cores, the web is served first, and the workers get
# every cycle it leaves. 19, the lowest priority: at 10 the status read's p95
# under 200 pollers was 3-4 times higher (docs/benchmarks.md, issue #14).
WORKER_NICE = env_int("WORKER_NICE", 19, minimum=0, maximum=19)
# And Linux's SCHED_IDLE policy on top: niceness only weighs a task's share,
# and a web thread woken while a nice-19 rewrite held the core could still wait
# its turn; an idle-class task is preempted by any other as soon as it wakes.
# Under 200 pollers of a processing book, the status read's p95 was 190-197 ms
# with niceness alone; with it (and the web's own fixes of the same commit)
# 72-121 ms (docs/benchmarks.md). The workers still run
# whenever the web leaves a core, which on this service is almost always.
WORKER_SCHED_IDLE = env_bool("WORKER_SCHED_IDLE", True)
Q_CLUSTER = {
    "name": env_str("Q_CLUSTER_NAME", "novelproc"),
    "workers": Q_WORKERS,
    "timeout": CHUNK_TASK_TIMEOUT,
    "retry": CHUNK_TASK_TIMEOUT + 120,
    "max_attempts": 2,
    "ack_failures": True,
    "queue_limit": Q_WORKERS * 2,
    "recycle": 200,
    "save_limit": 500,
    "catch_up": False,
    # The ORM broker's pusher sleeps this long on an empty queue, so a chunk
    # queued then waits half of it on average; Redis blocks instead (BLPOP).
    "poll": 0.2,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["cache"] = "q2stats"
Q_CLUSTER["sync"] = env_bool("Q_SYNC", False)

# --- Live progress ----------------------------------------------------------------
# A socket sends at most one message per throttle interval; it re-reads the job
# from the database every resync interval: the way worker progress reaches it
# without a cross-process layer, and the repair for dropped pings with Redis.
LIVE_THROTTLE_SECONDS = env_float("LIVE_THROTTLE_SECONDS", 0.1, minimum=0)
LIVE_RESYNC_SECONDS = env_float("LIVE_RESYNC_SECONDS", 5.0 if REDIS_URL else 0.5, minimum=0.1)
# While the Redis layer is down, sockets re-read at the embedded default's pace.
LIVE_RESYNC_FALLBACK_SECONDS = 0.5

# --- Auth, API ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Brute-force protection (novelproc.auth): axes' backend first refuses a
# locked-out username or address, then Django's checks the password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("LOGIN_LOCKOUT_MINUTES", 15, minimum=0.01))
# Either one locks: a username guessed from many addresses, or an address guessing many usernames.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The lockout ends a cool-off after the failure that caused it; attempts during it do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures are kept (AccessAttempt); successful logins need no table
AXES_VERBOSE = False  # no start-up banner and no INFO line per failed login
AXES_LOCKOUT_CALLABLE = "novelproc.auth.lockout_response"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "novelproc.errors.exception_handler",
    # `?format=csv` selects an export format, not a renderer.
    "URL_FORMAT_OVERRIDE": None,
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 30, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7, minimum=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "novelproc API",
    "DESCRIPTION": "French novels (PDF) into short sentences for language learners.",
    "VERSION": "1.0.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One component per choice set: jobs and chunks both have a `status`, and
    # the model preference appears under two field names.
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "jobs.models.JobStatus",
        "ChunkStatusEnum": "jobs.models.ChunkStatus",
        "ModelPreferenceEnum": "jobs.models.ModelPreference",
    },
}

# --- Product limits and pricing ------------------------------------------------------
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_MB", 50, minimum=1) * 1024 * 1024
# Any request whose Content-Length says more is refused with 413 before its
# body is read (novelproc.asgi_limits), on every URL: an upload plus its form.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_PDF_PAGES = env_int("MAX_PDF_PAGES", 500, minimum=1)
MAX_ACTIVE_JOBS_PER_USER = env_int("MAX_ACTIVE_JOBS_PER_USER", 3, minimum=1)
MAX_QUEUED_JOBS = env_int("MAX_QUEUED_JOBS", 200, minimum=1)
RATE_LIMIT_STARTS = env_str("RATE_LIMIT_STARTS", "10/h")
RATE_LIMIT_CONFIRMS = env_str("RATE_LIMIT_CONFIRMS", "10/h")
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
MONTHLY_GRANT_CREDITS = env_int("MONTHLY_GRANT_CREDITS", 2000, minimum=0)
PRICING_VERSION = env_str("PRICING_VERSION", "2026-11")
# What Gemini really costs, USD per million tokens on the standard tier (Google's
# pricing page, late 2026; thinking tokens are paid as output). A job's charge
# bills each model's input and output at these prices × CREDITS_PER_USD;
# GEMINI_PRICES (JSON, {"model": {"input": 0.3, "output": 2.5}}) adds or replaces rows.
GEMINI_PRICES = {
    "gemini-3.8-flash": {"input": 0.75, "output": 3.75},
    "gemini-3.7-flash": {"input": 0.75, "output": 3.75},
    "gemini-3.5-flash": {"input": 1.50, "output": 9.00},
    "gemini-3.1-flash-lite": {"input": 0.25, "output": 1.50},
    "gemini-2.5-flash-lite": {"input": 0.10, "output": 0.40},
    "gemini-2.5-flash": {"input": 0.30, "output": 2.50},
    "gemini-2.5-pro": {"input": 1.25, "output": 10.00},
}
try:
    GEMINI_PRICES.update(json.loads(env_str("GEMINI_PRICES") or "{}"))
except (json.JSONDecodeError, TypeError, ValueError) as error:
    raise ImproperlyConfigured(f"GEMINI_PRICES must be a JSON object of model → {{input, output}}: {error}") from error
if not all(isinstance(p, dict) and {"input", "output"} <= set(p) for p in GEMINI_PRICES.values()):
    raise ImproperlyConfigured("GEMINI_PRICES rows need an input and an output price (USD per million tokens)")
# The Flex service tier (the economy option): half the standard prices (Google's
# flex-inference page), for answers that may wait; GEMINI_FLEX_PRICES (same JSON) replaces rows.
GEMINI_FLEX_PRICES = {model: {side: price / 2 for side, price in row.items()} for model, row in GEMINI_PRICES.items()}
try:
    GEMINI_FLEX_PRICES.update(json.loads(env_str("GEMINI_FLEX_PRICES") or "{}"))
except (json.JSONDecodeError, TypeError, ValueError) as error:
    raise ImproperlyConfigured(
        f"GEMINI_FLEX_PRICES must be a JSON object of model → {{input, output}}: {error}"
    ) from error
if not all(isinstance(p, dict) and {"input", "output"} <= set(p) for p in GEMINI_FLEX_PRICES.values()):
    raise ImproperlyConfigured("GEMINI_FLEX_PRICES rows need an input and an output price (USD per million tokens)")
# Credits a US dollar of Gemini buys (the margin included): 1000 makes a credit a tenth of a cent.
CREDITS_PER_USD = env_float("CREDITS_PER_USD", 1000.0, minimum=0)
# The local engine's credits per 1000 tokens (input and output alike): what its text costs.
CREDIT_RATE_LOCAL = env_float("CREDIT_RATE_LOCAL", 1.0, minimum=0)
# Honest for a typeset novel page: ~2000 characters, ~4 characters a token.
ESTIMATE_INPUT_TOKENS_PER_PAGE = env_int("ESTIMATE_INPUT_TOKENS_PER_PAGE", 450, minimum=1)
ESTIMATE_OUTPUT_TOKENS_PER_PAGE = env_int("ESTIMATE_OUTPUT_TOKENS_PER_PAGE", 450, minimum=1)
# Characters a token, spaces included, where Gemini cannot count them (no key, or the count failed).
ESTIMATE_CHARS_PER_TOKEN = env_float("ESTIMATE_CHARS_PER_TOKEN", 4.0, minimum=1)
# Against the fake server, with the source's tokens counted spaces included (as
# count_tokens and the fake do): a chunk's answers and targeted repair write
# ~1.03× (the 457-page book) to ~1.25× (short generated pages) the source's
# tokens, and its calls read ~1,100-1,200 tokens of instructions, context and
# repair prompts besides the source (docs/benchmarks.md).
ESTIMATE_GEMINI_OUTPUT_FACTOR = env_float("ESTIMATE_GEMINI_OUTPUT_FACTOR", 1.15, minimum=0)
ESTIMATE_GEMINI_PROMPT_TOKENS_PER_CHUNK = env_int("ESTIMATE_GEMINI_PROMPT_TOKENS_PER_CHUNK", 1200, minimum=0)
# With a key, the start estimate asks Gemini to count the sample pages' tokens
# (count_tokens); a start waits at most this long for it, then uses the heuristic above.
ESTIMATE_COUNT_TOKENS_TIMEOUT = env_float("ESTIMATE_COUNT_TOKENS_TIMEOUT", 5, minimum=0.5)
# The start estimate comes from a sample of pages; this margin covers the pages not sampled.
ESTIMATE_MARGIN = env_float("ESTIMATE_MARGIN", 0.15, minimum=0)
CHUNK_SIZE_OVERRIDE = env_int("CHUNK_SIZE_OVERRIDE", 0, minimum=0) or None
# Chunks of one job in flight at once, instead of the plan's (SPEC §3 table).
CHUNK_PARALLEL_OVERRIDE = env_int("CHUNK_PARALLEL_OVERRIDE", 0, minimum=0) or None
# A Gemini job reads its chunks' pages ahead of its calls: this many chunks read
# and clean at once, then wait for one of the job's `parallel` call slots, so a
# slot never waits for pypdf (docs/benchmarks.md, Gemini overhead). The cluster
# needs parallel + read-ahead workers for it.
CHUNK_READ_AHEAD = env_int("CHUNK_READ_AHEAD", 2, minimum=1)
# How a Gemini job's book is cut (README, "A plan chosen for latency"):
# "latency" picks the pages a call holds and the calls in flight from the
# quota, the model's output speed and the book; "seeds" is SPEC §3's table
# (one call a chunk). The local engine always runs on the table.
CHUNK_PLAN = env_choice("CHUNK_PLAN", "latency", ("latency", "seeds"))
# A Gemini chunk's text is sent as one call per this many of its pages, all at
# once from threads of its worker, instead of the plan's (0: the plan's; on
# "seeds", one call a chunk): latency follows the tokens a call writes, so
# smaller calls answer sooner, and many calls in flight need no more processes.
GEMINI_SECTION_PAGES = env_int("GEMINI_SECTION_PAGES", 0, minimum=0)
# The latency plan's model of a call: GEMINI_BASE_SECONDS before the first
# token, then the model's output tokens a second (JSON model → speed, "*" for
# the others, or one number); flash-lite writes about 300.
GEMINI_BASE_SECONDS = env_float("GEMINI_BASE_SECONDS", 0.8, minimum=0)
_tps = env_str("GEMINI_OUTPUT_TPS", "300")
try:
    GEMINI_OUTPUT_TPS = json.loads(_tps) if _tps.lstrip().startswith("{") else {"*": float(_tps)}
except ValueError as error:
    raise ImproperlyConfigured(f"GEMINI_OUTPUT_TPS must be a number or a JSON object: {error}") from error
if not all(isinstance(v, (int, float)) and v > 0 for v in GEMINI_OUTPUT_TPS.values()):
    raise ImproperlyConfigured("GEMINI_OUTPUT_TPS: every speed must be a positive number")
# Fairness: one job holds at most this many Gemini calls in flight, so the
# cluster's workers and quota stay open to other users' jobs.
GEMINI_CALLS_PER_JOB = env_int("GEMINI_CALLS_PER_JOB", 100, minimum=1)
# A chunk's pages are read and cleaned by one worker before its first call:
# the latency plan's chunks stay under this many pages.
CHUNK_PLAN_MAX_PAGES = env_int("CHUNK_PLAN_MAX_PAGES", 50, minimum=1)
# How often a chunk that has read its pages asks for a free call slot.
CALL_SLOT_POLL_SECONDS = env_float("CALL_SLOT_POLL_SECONDS", 0.05, minimum=0.01)
PDF_INSPECT_TIMEOUT = env_float("PDF_INSPECT_TIMEOUT", 20, minimum=1)
PDF_EXTRACT_TIMEOUT = env_float("PDF_EXTRACT_TIMEOUT", 300, minimum=1)
UPLOAD_RETENTION_HOURS = env_int("UPLOAD_RETENTION_HOURS", 72, minimum=1)
# Days a finished job's sentences are kept; 0 keeps them for ever.
RESULT_RETENTION_DAYS = env_int("RESULT_RETENTION_DAYS", 0, minimum=0)

# --- Gemini (see README) ----------------------------------------------------------------
# With a key, new jobs run on Gemini; without one, on the local engine.
GEMINI_API_KEY = env_str("GEMINI_API_KEY")
GEMINI_BASE_URL = env_url("GEMINI_BASE_URL", ("http", "https"))
# Generally available models in late 2026 (gemini-2.5-flash and -pro are being
# shut down; 2.5 flash-lite stays): see jobs/pipeline/gemini_models.py.
GEMINI_MODELS = {
    "speed": env_str("GEMINI_MODEL_SPEED", "gemini-3.1-flash-lite"),
    "balanced": env_str("GEMINI_MODEL_BALANCED", "gemini-3.7-flash"),
    "quality": env_str("GEMINI_MODEL_QUALITY", "gemini-3.8-flash"),
}
# When the job's model cannot serve a chunk (quota, 404, a configuration 400,
# a 503 storm, a spent daily quota) the chunk moves to this model, billed at its rate.
GEMINI_FALLBACK_MODEL = env_str("GEMINI_FALLBACK_MODEL", "gemini-2.5-flash-lite")
# Rows added to or replacing the capability table (jobs/pipeline/gemini_models.py), as JSON:
# {"model": {"thinking": "budget"|"level"|"none", "budget_range": [lo, hi], "levels": [...],
#            "temperature": 1.0, "max_output_tokens": 65536}}. A model in no row gets no thinking config.
try:
    GEMINI_MODEL_TABLE = json.loads(env_str("GEMINI_MODEL_TABLE") or "{}")
except json.JSONDecodeError as error:
    raise ImproperlyConfigured(f"GEMINI_MODEL_TABLE must be JSON: {error}") from error
if not isinstance(GEMINI_MODEL_TABLE, dict) or not all(isinstance(v, dict) for v in GEMINI_MODEL_TABLE.values()):
    raise ImproperlyConfigured("GEMINI_MODEL_TABLE must be a JSON object of model name → capabilities object")
GEMINI_TIMEOUT = env_float("GEMINI_TIMEOUT", 120, minimum=1)
if GEMINI_API_KEY and CHUNK_LEASE_SECONDS < 2 * GEMINI_TIMEOUT:
    raise ImproperlyConfigured(
        f"CHUNK_LEASE_SECONDS ({CHUNK_LEASE_SECONDS}) must be at least twice GEMINI_TIMEOUT ({GEMINI_TIMEOUT:g}): "
        "a chunk whose call outlives its lease is handed to a second worker, and both calls are paid."
    )
# Economy jobs call on the Flex tier, whose answers may wait in Google's queue
# (variable latency, best effort): a longer timeout, and a lease for their chunks
# that outlives two of them, as above.
GEMINI_FLEX_TIMEOUT = env_float("GEMINI_FLEX_TIMEOUT", 300, minimum=1)
CHUNK_LEASE_FLEX_SECONDS = env_int("CHUNK_LEASE_FLEX_SECONDS", math.ceil(2 * GEMINI_FLEX_TIMEOUT), minimum=5)
if GEMINI_API_KEY and CHUNK_LEASE_FLEX_SECONDS < 2 * GEMINI_FLEX_TIMEOUT:
    raise ImproperlyConfigured(
        f"CHUNK_LEASE_FLEX_SECONDS ({CHUNK_LEASE_FLEX_SECONDS}) must be at least twice GEMINI_FLEX_TIMEOUT "
        f"({GEMINI_FLEX_TIMEOUT:g}): an economy chunk whose call outlives its lease is paid twice."
    )
GEMINI_MAX_ATTEMPTS = env_int("GEMINI_MAX_ATTEMPTS", 4, minimum=1)
GEMINI_BACKOFF_INITIAL = env_float("GEMINI_BACKOFF_INITIAL", 1.0, minimum=0)
GEMINI_BACKOFF_MAX = env_float("GEMINI_BACKOFF_MAX", 30.0, minimum=0)
# A 15-page chunk rewritten as short sentences needs ~10k output tokens; 8192 would truncate.
GEMINI_MAX_OUTPUT_TOKENS = env_int("GEMINI_MAX_OUTPUT_TOKENS", 32768, minimum=1024)
# Gemini sentences without a finite verb join the over-limit ones in the one targeted repair call.
GEMINI_REPAIR_FRAGMENTS = env_bool("GEMINI_REPAIR_FRAGMENTS", True)
# Requests and tokens per minute per model for the whole cluster (0: no limit).
GEMINI_RPM = env_int("GEMINI_RPM", 0, minimum=0)
GEMINI_TPM = env_int("GEMINI_TPM", 0, minimum=0)  # input tokens: Google's TPM counts no output
# Requests per day per model for the whole cluster (0: no limit); spent, the model falls back until midnight Pacific.
GEMINI_RPD = env_int("GEMINI_RPD", 0, minimum=0)

# --- Web server (manage.py serve: uvicorn) -------------------------------------------------
# Processes serving HTTP and sockets; each runs its sync views in threads that
# share its connection pool. One per core: the machine's cores are the limit.
WEB_WORKERS = env_int("WEB_WORKERS", os.cpu_count() or 1, minimum=1)

# --- Operating ------------------------------------------------------------------------------
# /metrics answers staff, and a scraper sending `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_TOKEN = env_str("METRICS_TOKEN")

# --- Static, media, i18n ------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve static files straight from their folders, without collectstatic (the
# local run and test servers); production images run collectstatic instead.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
# Uploads go through Django's storage API: the filesystem under MEDIA_ROOT by
# default; with S3_BUCKET, S3-compatible object storage (django-storages), so
# that web and worker machines share no folder. Without keys, boto3 finds
# credentials its own way (AWS_* variables, an instance or pod role).
S3_BUCKET = env_str("S3_BUCKET")
_s3_options = {
    "bucket_name": S3_BUCKET,
    "endpoint_url": env_url("S3_ENDPOINT_URL", ("http", "https")) or None,
    "region_name": env_str("S3_REGION") or None,
    "access_key": env_str("S3_ACCESS_KEY_ID") or None,
    "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
    "addressing_style": env_choice("S3_ADDRESSING_STYLE", "auto", ("auto", "path", "virtual")),
    "location": env_str("S3_PREFIX"),
    # Names carry a random part; never replace an object another job stored.
    "file_overwrite": False,
}
_uploads = (
    {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}
    if S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": _uploads,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logs ---------------------------------------------------------------------------------
# Text for a terminal, one JSON object a line for a log collector; both carry
# the request id (novelproc.logs), "-" outside a request.
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("text", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "novelproc.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "novelproc.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
