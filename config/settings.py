"""Relais settings: one module, driven by the environment.

Every value a deployment may change is read from an environment variable with a safe default
for the local demo (SQLite under ./data, DEBUG on, e-mail kept in the local outbox).
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("RELAIS_DATA_DIR", BASE_DIR / "data"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "relais-demo-only-not-secret-" + "x" * 32
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# The address the application is reached at, used in links that leave it (e-mails, SMS).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "phonenumber_field",
    "relais.core",
    "relais.tenancy",
    "relais.clients",
    "relais.messaging",
    "relais.delivery",
    "relais.planning",
    "relais.exports",
    "relais.escalation",
    "relais.inbound",
    "relais.calls",
    "relais.events",
    "relais.ui",
    "anymail",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "relais.core.middleware.SecurityHeadersMiddleware",
    # A call with a bearer token and no cookie goes on through the API's own short chain.
    "relais.api.lane.ApiLaneMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "relais.core.middleware.InputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "relais.api.errors.MethodNotAllowedMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "relais.ui.context_processors.relais",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'relais.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the delivery worker use the file at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# The send's one statement is prepared on each PostgreSQL connection (relais.core.pg). Off for
# a pooler that does not keep prepared statements (PgBouncer before 1.21, or without
# max_prepared_statements).
RELAIS_PG_PREPARE = env_bool("RELAIS_PG_PREPARE", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short OLTP queries: JIT compiling costs more than it saves (a menu count took 27 ms of
    # JIT on a year of data), and on a few cores parallel workers only compete with the other
    # requests. PG_OPTIONS replaces these (libpq "options" syntax).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = os.environ.get(
        "PG_OPTIONS", "-c jit=off -c max_parallel_workers_per_gather=0"
    )
    # Django's backend, with a health check that needs no round trip (relais.core.postgresql).
    DATABASES["default"]["ENGINE"] = "relais.core.postgresql"
    if RELAIS_PG_PREPARE:
        # psycopg prepares what relais.core.pg asks it to, and nothing by itself (Django's
        # cursors bind on the client and are never prepared).
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 2**31 - 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenancy.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "relais.tenancy.backends.UserBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "ui:login"
LOGIN_REDIRECT_URL = "ui:home"
LOGOUT_REDIRECT_URL = "ui:login"

# Repeated failed logins lock the (e-mail, address) pair for a while.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "relais.tenancy.auth.lockout_response"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Bad input never reaches a 500: oversized bodies are refused by Django with a 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500

PHONENUMBER_DEFAULT_REGION = "FR"
PHONENUMBER_DEFAULT_FORMAT = "E164"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind the TLS proxy (which sets X-Forwarded-Proto), plain-HTTP requests are redirected.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# Background work: the outbox row is the truth, the queue only wakes a worker.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "db")
if TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# E-mail: setting EMAIL_HOST is enough to send through that SMTP server; otherwise copies
# stay in the local outbox that staff can browse.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # see "hardening" below for its default
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.locmem.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Relais <messages@relais.example>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- hardening ---
# Headers and input cleaning: relais.core.middleware (SecurityHeadersMiddleware,
# InputMiddleware, in MIDDLEWARE above). The API's docs and OpenAPI document need a login
# when DEBUG is off (relais.api.docs.docs_login_required).
RELAIS_DOCS_PUBLIC = env_bool("RELAIS_DOCS_PUBLIC", DEBUG)
# Django's finders, answering 404 rather than 500 to /static/%2e%2e/… on the dev server.
STATICFILES_FINDERS = [
    "relais.core.staticfinders.FileSystemFinder",
    "relais.core.staticfinders.AppDirectoriesFinder",
]
# An SMTP server that is not on this machine is spoken to over TLS unless told otherwise
# (STARTTLS; EMAIL_USE_SSL for implicit TLS).
_LOOPBACK_HOSTS = {"", "localhost", "127.0.0.1", "::1", "[::1]"}
if "EMAIL_USE_TLS" not in os.environ:
    EMAIL_USE_TLS = (
        EMAIL_HOST.strip().lower() not in _LOOPBACK_HOSTS
        and not EMAIL_HOST.startswith("127.")
        and not EMAIL_USE_SSL
    )
# --- end hardening ---

# --- delivery ---
# Copies that leave the building (relais.delivery). Each channel has a backend chosen here,
# by alias ("outbox", "smtp", "brevo", "email-gateway", "memory") or by dotted path. With nothing
# configured every copy lands in the local outbox that staff browse in the app.
BREVO_API_KEY = os.environ.get("BREVO_API_KEY", "")
BREVO_API_URL = os.environ.get("BREVO_API_URL", "https://api.brevo.com/v3").rstrip("/")
BREVO_SMS_SENDER = os.environ.get("BREVO_SMS_SENDER", "Relais")[:11]
BREVO_TIMEOUT = float(os.environ.get("BREVO_TIMEOUT", "10"))
# E-mail-to-SMS and e-mail-to-fax gateways: the copy is an e-mail to <number>@<domain>.
RELAIS_SMS_GATEWAY_DOMAIN = os.environ.get("RELAIS_SMS_GATEWAY_DOMAIN", "")
RELAIS_FAX_GATEWAY_DOMAIN = os.environ.get("RELAIS_FAX_GATEWAY_DOMAIN", "")
# How the gateway wants the number: "e164" (+33612345678), "international" (33612345678) or
# "national" (0612345678).
RELAIS_GATEWAY_NUMBER_FORMAT = os.environ.get("RELAIS_GATEWAY_NUMBER_FORMAT", "international")
RELAIS_EMAIL_BACKEND = os.environ.get(
    "RELAIS_EMAIL_BACKEND",
    "smtp" if (EMAIL_HOST or "EMAIL_BACKEND" in os.environ) else "outbox",
)
RELAIS_SMS_BACKEND = os.environ.get(
    "RELAIS_SMS_BACKEND",
    "brevo" if BREVO_API_KEY else ("email-gateway" if RELAIS_SMS_GATEWAY_DOMAIN else "outbox"),
)
RELAIS_FAX_BACKEND = os.environ.get(
    "RELAIS_FAX_BACKEND", "email-gateway" if RELAIS_FAX_GATEWAY_DOMAIN else "outbox"
)
# Replies to an e-mail copy go to the permanence's desk; empty: the From address.
RELAIS_REPLY_TO_EMAIL = os.environ.get("RELAIS_REPLY_TO_EMAIL", "")
# Right-hand side of the stable Message-ID of every e-mail copy; empty: the From domain.
RELAIS_MESSAGE_ID_DOMAIN = os.environ.get("RELAIS_MESSAGE_ID_DOMAIN", "")
# An SMS copy is cut (with "...") to fit this many segments (160/153 GSM-7, 70/67 UCS-2 chars).
RELAIS_SMS_MAX_SEGMENTS = int(os.environ.get("RELAIS_SMS_MAX_SEGMENTS", "3"))
# Retry policy: temporary failures wait BASE, BASE*4, BASE*16 … seconds (capped at MAX) and give
# up after MAX_ATTEMPTS; permanent failures (invalid number, 5xx rejection) fail at once.
RELAIS_DELIVERY_MAX_ATTEMPTS = int(os.environ.get("RELAIS_DELIVERY_MAX_ATTEMPTS", "8"))
RELAIS_DELIVERY_BACKOFF_BASE = float(os.environ.get("RELAIS_DELIVERY_BACKOFF_BASE", "30"))
RELAIS_DELIVERY_BACKOFF_MAX = float(os.environ.get("RELAIS_DELIVERY_BACKOFF_MAX", "3600"))
# A copy claimed by a worker that died is taken back after this many seconds.
RELAIS_DELIVERY_LEASE = float(os.environ.get("RELAIS_DELIVERY_LEASE", "120"))
# The worker's sweep takes fresh copies whose wake-up has not come after this many seconds.
RELAIS_DELIVERY_SWEEP_GRACE = float(os.environ.get("RELAIS_DELIVERY_SWEEP_GRACE", "10"))
# The task queue the wake-ups go to (rqworker listens to it by name).
RELAIS_DELIVERY_QUEUE = os.environ.get("RELAIS_DELIVERY_QUEUE", "default")
if TASKS_BACKEND == "rq":
    RQ_QUEUES.setdefault(RELAIS_DELIVERY_QUEUE, dict(RQ_QUEUES["default"]))
TASKS["default"]["QUEUES"] = sorted(
    {*TASKS["default"].get("QUEUES", ["default"]), RELAIS_DELIVERY_QUEUE}
)
# --- end delivery ---

# --- escalation ---
# The worker looks for escalation steps due every this many seconds (one indexed query when none
# is), besides its sweep.
RELAIS_ESCALATION_SCAN = float(os.environ.get("RELAIS_ESCALATION_SCAN", "1"))
# --- end escalation ---
# --- traces, lifetimes, sessions and tokens (relais.audit) ---
# Who read what, the security journal, the per-permanence lifetimes and their daily purge (run
# by relais_worker), erasure and export of personal data, the staff idle timeout, API token
# lifetimes, login throttling per address across accounts, and the optional TOTP second factor.
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "relais.audit"]
# After AuthenticationMiddleware: the idle timeout and the enrolment a permanence may require.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "relais.audit.sessions.SessionGuardMiddleware",
)
# Default idle timeout of staff page sessions (each permanence may change it: 5 to 720 min).
RELAIS_SESSION_IDLE_MINUTES = int(os.environ.get("RELAIS_SESSION_IDLE_MINUTES", "30"))
# A new API token lives this long unless asked shorter.
RELAIS_API_TOKEN_DAYS = int(os.environ.get("RELAIS_API_TOKEN_DAYS", "90"))
# Failed logins: per account whatever the address (and per account and address), by axes; per
# address across accounts: an address that failed on this many accounts within the cool-off is
# refused too (relais.audit.throttle).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]  # type: ignore[list-item]
RELAIS_LOGIN_ADDRESS_MAX_ACCOUNTS = int(os.environ.get("RELAIS_LOGIN_ADDRESS_MAX_ACCOUNTS", "5"))
AUTHENTICATION_BACKENDS = [
    "relais.audit.throttle.AddressAwareAxesBackend",
    *(b for b in AUTHENTICATION_BACKENDS if b != "axes.backends.AxesStandaloneBackend"),
]
OTP_TOTP_ISSUER = "Relais"
# The daily purge deletes at most this many rows per short transaction (messages: 200 at most).
RELAIS_PURGE_BATCH = int(os.environ.get("RELAIS_PURGE_BATCH", "500"))
# --- end traces ---
# --- replies taken in (relais.inbound) ---
# Answers to e-mail copies come back to `<local>+<token>@<domain>`: the local part of
# RELAIS_REPLY_TO_EMAIL (else of the sender) and RELAIS_REPLY_DOMAIN (else its domain).
RELAIS_REPLY_DOMAIN = os.environ.get("RELAIS_REPLY_DOMAIN", "")
# An IMAP mailbox the worker reads every RELAIS_IMAP_INTERVAL seconds (set the host to use it);
# what it has taken in moves to RELAIS_IMAP_DONE_FOLDER.
RELAIS_IMAP_HOST = os.environ.get("RELAIS_IMAP_HOST", "")
RELAIS_IMAP_PORT = int(os.environ.get("RELAIS_IMAP_PORT", "993"))
RELAIS_IMAP_SSL = os.environ.get("RELAIS_IMAP_SSL", "true").lower() in {"1", "true", "yes", "on"}
RELAIS_IMAP_USER = os.environ.get("RELAIS_IMAP_USER", "")
RELAIS_IMAP_PASSWORD = os.environ.get("RELAIS_IMAP_PASSWORD", "")
RELAIS_IMAP_FOLDER = os.environ.get("RELAIS_IMAP_FOLDER", "INBOX")
RELAIS_IMAP_DONE_FOLDER = os.environ.get("RELAIS_IMAP_DONE_FOLDER", "Relais-traites")
RELAIS_IMAP_INTERVAL = int(os.environ.get("RELAIS_IMAP_INTERVAL", "60"))
# Which permanence an e-mail belongs to when it names no copy (a shared mailbox or provider).
RELAIS_INBOUND_PERMANENCE = os.environ.get("RELAIS_INBOUND_PERMANENCE", "")
RELAIS_INBOUND_MAX_BYTES = int(os.environ.get("RELAIS_INBOUND_MAX_BYTES", str(25 * 1024 * 1024)))
RELAIS_INBOUND_ATTACHMENTS_MAX = int(
    os.environ.get("RELAIS_INBOUND_ATTACHMENTS_MAX", str(10 * 1024 * 1024))
)
# A transactional provider's inbound webhook through django-anymail, at
# /anymail/<provider>/inbound/ (e.g. postmark, mailgun, sendgrid, brevo); its basic-auth secret.
ANYMAIL = {"WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET", "")}
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(DATA_DIR / "media"))
# --- end replies taken in ---
# --- calls and live events ---
# Fan-out of live events between web processes (relais.events): "postgres" (LISTEN/NOTIFY;
# the default on PostgreSQL) or "local" (one process; the default on SQLite).
RELAIS_EVENTS_BACKEND = os.environ.get("RELAIS_EVENTS_BACKEND", "")
# A stream reconnecting with Last-Event-ID gets the events of this many seconds back.
RELAIS_EVENTS_KEEP = int(os.environ.get("RELAIS_EVENTS_KEEP", "3600"))
# A comment line at least this often keeps proxies from closing an idle stream.
RELAIS_EVENTS_HEARTBEAT = float(os.environ.get("RELAIS_EVENTS_HEARTBEAT", "15"))
# A stream sends the reader's left-menu counts at most this often.
RELAIS_EVENTS_COUNTS_EVERY = float(os.environ.get("RELAIS_EVENTS_COUNTS_EVERY", "1"))
# The ASGI processes (the demo's server, production's stream server) share a bounded pool of
# PostgreSQL connections: RELAIS_DB_POOL connections at most per process, whatever the
# clients do (Django's per-thread connections would otherwise pile up under ASGI).
RELAIS_DB_POOL = int(os.environ.get("RELAIS_DB_POOL", "0"))
if RELAIS_DB_POOL and DATABASES["default"]["ENGINE"] == "relais.core.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": RELAIS_DB_POOL,
        "timeout": float(os.environ.get("RELAIS_DB_POOL_TIMEOUT", "20")),
        "max_idle": 60,
    }
# --- end calls and live events ---
