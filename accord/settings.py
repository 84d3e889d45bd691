"""Accord's one settings module, driven by environment variables.

Development defaults are safe to run on a laptop (SQLite, console e-mail, DEBUG on).
Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; with those,
`manage.py check --deploy` is clean.
"""

from pathlib import Path
from typing import Any

import dj_database_url

from accord.env import cache_from_url, envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("ACCORD_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", True)
_DEV_SECRET = "django-insecure-accord-development-only-key-do-not-deploy"  # noqa: S105
SECRET_KEY = envstr("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "accord.admin_apps.AccordAdminConfig",  # the admin behind the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # its own copy of Swagger UI (static files), not a CDN
    "csp",
    "django_tasks",
    # Before django_tasks_db: its `db_worker` (with a lease) replaces the library's.
    "accord.operations",
    "django_tasks_db",
    "accord.accounts",
    "accord.organisations",
    "accord.procedures",
    "accord.cases",
    "accord.mediation",
    "accord.outbox",
    "accord.notifications",
    "accord.letters",
    "accord.inbound",
    "accord.web",
    "accord.quality",
    "accord.reporting",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "accord.operations.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check reads the form: an unreadable multipart body is a 400.
    "accord.web.errors.MalformedBodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, reading the verified device through accord.reads.
    "accord.accounts.signed_in.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Content-Security-Policy on every page (django-csp): scripts, styles and everything
# else from Accord's own static files only — no inline script, no CDN. Charts are
# data: images. A response that sets its own policy (documents, agreements) keeps it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "accord.urls"
WSGI_APPLICATION = "accord.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/staff/login/"
# TOTP codes for staff sign-in: the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = "Accord"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "accord" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # The rows of long lists (accord/web/jinja2_env.py): accord/web/jinja2/.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,
        "OPTIONS": {"environment": "accord.web.jinja2_env.environment"},
    },
]
# Form widgets render through Jinja2 where it has the template (accord/web/form_renderer.py).
FORM_RENDERER = "accord.web.form_renderer.FormRenderer"

# SQLite by default: nothing to install. DATABASE_URL selects PostgreSQL.
# BEGIN IMMEDIATE makes SQLite take its write lock when a transaction starts, so two
# writers queue on the lock instead of one failing half-way with "database is locked".
_SQLITE_URL = f"sqlite:///{VAR_DIR / 'accord.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(envstr("DATABASE_URL", _SQLITE_URL))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; synchronous=NORMAL is safe in WAL
    # mode (a power cut may lose the last commits, never corrupt the file) and takes the
    # disk flush off every commit: intake went from ~290 to ~410 cases/s (bench/intake.py).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # 0 (a connection per request) by default: the threaded development server would
    # otherwise keep one open per thread and exhaust PostgreSQL's connections.
    DATABASES["default"]["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", 0)
    # Parameters bound by the server, and a statement a kept connection has run
    # DB_PREPARE_THRESHOLD times prepared (psycopg): PostgreSQL then skips parsing and
    # planning it again, half of its CPU on a case page (5.0 -> 2.2 ms). 0 turns it off:
    # needed behind a pooler that shares server connections between transactions
    # (PgBouncer's transaction mode before 1.21).
    _prepare = envint("DB_PREPARE_THRESHOLD", 2)
    if _prepare:
        DATABASES["default"]["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": _prepare,
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache every process shares: the throttles and the staff sign-in lockout count in
# it. Redis (Django's own RedisCache) when CACHE_URL is redis:// or rediss://; by
# default the database's cache table (made by a migration), so several processes on
# one machine, or several machines on one database, still agree.
CACHE_URL = envstr("CACHE_URL", "db://accord_cache")
CACHES = {"default": cache_from_url(CACHE_URL)}

# Sessions live in the database, so any web process on any machine reads them.
# Django's database sessions, each read as one compiled statement (accord/accounts/signed_in.py).
SESSION_ENGINE = "accord.accounts.signed_in"
# Django's username-and-password sign-in, its user read the same way.
AUTHENTICATION_BACKENDS = ["accord.accounts.signed_in.ModelBackend"]
# A staff session lasts a working day from sign-in unless configured otherwise.
SESSION_COOKIE_AGE = envint("ACCORD_SESSION_HOURS", 9) * 3600

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# Every organisation Accord serves is in the UK; deadlines are counted in UK local time.
TIME_ZONE = "Europe/London"
USE_I18N = True
# The languages a complainant may read Accord in (Case.language): letters, the packs'
# party wording and notices go through gettext under the complainant's language. Add a
# catalogue under accord/locale/<code>/LC_MESSAGES (makemessages, compilemessages) and
# a row here; no code changes.
LANGUAGES = [("en", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "accord" / "locale"]
USE_TZ = True

# Django 6 assumes https for scheme-less URLs typed into forms; opt in now.
FORMS_URLFIELD_ASSUME_HTTPS = True

STATIC_URL = "/static/"
# Where `collectstatic` gathers the files whitenoise serves (DEBUG off).
STATIC_ROOT = Path(envstr("ACCORD_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads live outside the web root and are served only through permission checks.
MEDIA_ROOT = Path(envstr("ACCORD_MEDIA_ROOT", str(VAR_DIR / "media")))
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Stored files (documents, letters' and agreements' PDFs) in S3-compatible object
# storage when ACCORD_S3_BUCKET is set, so every web server reads what any stored; the
# credentials come from ACCORD_S3_ACCESS_KEY_ID / ACCORD_S3_SECRET_ACCESS_KEY or
# boto3's usual sources (AWS_* variables, an instance role).
ACCORD_S3_BUCKET = envstr("ACCORD_S3_BUCKET", "")
if ACCORD_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ACCORD_S3_BUCKET,
            "endpoint_url": envstr("ACCORD_S3_ENDPOINT_URL", "") or None,
            "region_name": envstr("ACCORD_S3_REGION", "") or None,
            "access_key": envstr("ACCORD_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": envstr("ACCORD_S3_SECRET_ACCESS_KEY", "") or None,
            "location": envstr("ACCORD_S3_PREFIX", ""),
            # Private objects, never overwritten; served only through Accord's checks.
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }

# Request bodies: a complaint is text; anything larger is refused before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 256 * 1024)
# Documents uploaded into a thread (checked while reading, before anything is stored).
ACCORD_MAX_UPLOAD_BYTES = envint("ACCORD_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
# The first handler refuses an oversized multipart request while it is still arriving.
FILE_UPLOAD_HANDLERS = [
    "accord.mediation.documents.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "accord@localhost")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
# The right-hand side of every Message-ID Accord generates (default: DEFAULT_FROM_EMAIL's).
ACCORD_MAIL_DOMAIN = envstr("ACCORD_MAIL_DOMAIN", "")
# The authserv-ids (RFC 8601) of the receiving mail servers whose Authentication-Results
# header is believed. A reply placed in a thread by its sender (the case reference in
# the subject, no signed reply address) needs DMARC, or aligned SPF and DKIM, to have
# passed there; the header of any other server is ignored (a sender can write one).
ACCORD_TRUSTED_AUTHSERV_IDS = envlist("ACCORD_TRUSTED_AUTHSERV_IDS", [])
# The address Accord is reached at, for links printed outside a request (commands,
# `make run`, which sets it from HOST and PORT). Pages use the request's own address.
ACCORD_BASE_URL = envstr("ACCORD_BASE_URL", "http://127.0.0.1:8000")

# Notices of one case wait this long to be folded into one e-mail per reader (a
# mediator's burst — a message, a relay, a proposal — makes one e-mail; nothing waits
# longer than this).
ACCORD_NOTICE_DIGEST_MINUTES = envint("ACCORD_NOTICE_DIGEST_MINUTES", 10)

# Deferred work is stored in the database, so nothing queued is lost when a process
# dies; `manage.py db_worker` runs it.
TASKS = {
    "default": {
        # django-tasks-db's, writing its rows through accord.rows (operations/task_queue.py).
        "BACKEND": envstr("TASKS_BACKEND", "accord.operations.task_queue.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# A task whose worker has not beaten for this long (killed, machine lost) runs again.
ACCORD_TASK_LEASE_SECONDS = envint("ACCORD_TASK_LEASE_SECONDS", 60)

# /readyz fails when the sweeper's or the outbox's last pass, or the oldest task waiting
# to run, is older than this many seconds.
ACCORD_READY_SWEEP_SECONDS = envint("ACCORD_READY_SWEEP_SECONDS", 300)
ACCORD_READY_OUTBOX_SECONDS = envint("ACCORD_READY_OUTBOX_SECONDS", 120)
ACCORD_READY_TASK_AGE_SECONDS = envint("ACCORD_READY_TASK_AGE_SECONDS", 300)

# UK bank holidays are published about a year ahead and one-off holidays are proclaimed
# at short notice: due dates counted past the end of this year are marked provisional.
# Raise it when the `holidays` package is upgraded with the next year's dates.
ACCORD_HOLIDAYS_CONFIRMED_THROUGH = envint("ACCORD_HOLIDAYS_CONFIRMED_THROUGH", 2027)

# Public intake is rate-limited per client address (django-ninja throttling).
ACCORD_INTAKE_RATE = envstr("ACCORD_INTAKE_RATE", "30/m")
NINJA_NUM_PROXIES = envint("NINJA_NUM_PROXIES", 0)
# The public complaint form: a submission sooner than this after the form was issued
# is refused as automated, one later than this many hours as stale (the person is
# asked to send it again; what they typed is kept).
ACCORD_FORM_MIN_SECONDS = envint("ACCORD_FORM_MIN_SECONDS", 3)
ACCORD_FORM_MAX_AGE_HOURS = envint("ACCORD_FORM_MAX_AGE_HOURS", 24)
# The complainant's signed link to their case page, and how often one address may ask
# for a new one.
ACCORD_COMPLAINANT_LINK_DAYS = envint("ACCORD_COMPLAINANT_LINK_DAYS", 14)
ACCORD_LINK_REQUEST_RATE = envstr("ACCORD_LINK_REQUEST_RATE", "5/h")
# How long the API keeps a request's response under its Idempotency-Key for retries;
# the sweep forgets older ones.
ACCORD_IDEMPOTENCY_KEY_DAYS = envint("ACCORD_IDEMPOTENCY_KEY_DAYS", 7)
# Wrong passwords at the staff sign-in, per username and client address; once spent,
# even the right password waits until the oldest wrong one is this old.
ACCORD_STAFF_LOGIN_RATE = envstr("ACCORD_STAFF_LOGIN_RATE", "10/15m")

SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer probes the health checks over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Cookies only over HTTPS when DEBUG is off; SECURE_COOKIES=0 for plain HTTP (a load
# test, a private network without TLS).
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list binds every subdomain of the operator's domain
# for months and is hard to undo: the operator opts in with SECURE_HSTS_PRELOAD=1, so
# the check that nags about it is silenced only while they have not.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Covering indexes (Index.include) serve the dashboards on PostgreSQL, where Accord runs
# in production; SQLite builds the same indexes without the included columns.
SILENCED_SYSTEM_CHECKS += ["models.W040"]
# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto (on by
# default); SECURE_PROXY_SSL_HEADER=0 when Accord is reached directly, so a client's
# own header is not trusted. SECURE_SSL_REDIRECT=0 serves plain HTTP (e.g. a private
# network or a load test) with DEBUG off.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("SECURE_PROXY_SSL_HEADER", True) else None
)

# JSON lines in production (request id, user and case reference on every line of a
# request), plain lines in development; LOG_FORMAT=json|plain chooses.
LOG_FORMAT = envstr("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "accord.operations.logs.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "accord.operations.logs.JsonFormatter"},
        "plain": {"format": "%(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request"],
            "formatter": LOG_FORMAT if LOG_FORMAT in {"json", "plain"} else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint and fontTools narrate every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
