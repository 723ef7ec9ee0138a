"""Settings, read from the environment (see README "Configuration")."""

import hashlib
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str
from recruitment.regulation import DEFAULTS as RECRUITMENT_DEFAULTS

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(make run and make test set DJANGO_DEBUG=1 for you)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "treebeard",
    "simple_history",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "recruitment",
]

MIDDLEWARE = [
    # First: times the whole request and gives it the id shown on the 500 page.
    "config.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the database: where this request's reads go.
    "config.replica.ReplicaMiddleware",
    "config.middleware.SessionMiddleware",  # one line per request when the database is down
    "config.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Inside the middleware that set headers, so that the page it makes of a 405 has them.
    "config.middleware.MethodNotAllowedPageMiddleware",
    # After the middleware that set headers on every response, so its 400 has them too.
    "config.middleware.RefuseNulCharactersMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recruitment.context_processors.reminders",
            ],
            # {% url %} remembering what it reversed (10 to 30 reverse() calls a page).
            "builtins": ["recruitment.templatetags.remembered_urls"],
        },
    },
]

# SQLite file by default so that `make run` needs nothing; PostgreSQL when DATABASE_URL is set.
# Connections are kept open between requests in production (a new one costs PostgreSQL a
# process and the request a few milliseconds), checked before reuse so that a connection
# the server dropped is replaced instead of failing a request.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 600, minimum=0),
        conn_health_checks=True,
    )
}
# A streaming replica for the reads of read-only requests (config/replica.py); the tests
# use the primary under its name (MIRROR).
if env_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        env_str("DATABASE_REPLICA_URL"),
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.replica.PrimaryReplicaRouter"]
# Behind PgBouncer in transaction mode a cursor cannot outlive its transaction's server
# connection: no server-side cursors (QuerySet.iterator reads in chunks client-side).
if env_bool("DATABASE_PGBOUNCER", default=False):
    for _alias in DATABASES.values():
        _alias["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    # No JIT compilation: PostgreSQL compiles a query whose estimated cost is high, and for
    # a web page's queries the compiling costs more than it saves (the duplicates page of a
    # province: 1.8 s, of which 0.75 s compiling each of its two queries; 0.38 s without).
    # PgBouncer refuses a connection's startup options: there, set it on the database
    # (docs/scaling.md).
    for _alias in DATABASES.values():
        if _alias["ENGINE"].endswith("postgresql"):
            _alias.setdefault("OPTIONS", {})["options"] = "-c jit=off"
# How long a browser reads from the primary after it wrote: more than the replica's lag.
REPLICA_STICKY_SECONDS = env_int("DATABASE_REPLICA_STICKY_SECONDS", 5, minimum=0)
# Every request that writes is all or nothing: a failure after the first write (a history
# row, a second model) rolls the whole request back.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out user/address before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's, the signed-in user kept in memory (accounts/backends.py, CACHES["users"]).
    "accounts.backends.ModelBackend",
]

# Lockout after repeated failed logins of one user from one address (django-axes). At least
# 1 each: a limit of 0 locks everyone out before their first attempt, and a lockout of 0
# hours forgets each failure at once, which is no lockout at all.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("DJANGO_LOGIN_LOCKOUT_HOURS", 1, minimum=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Failed attempts keep what was posted, less these (wrong current passwords count too).
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "old_password",
    "new_password1",
    "new_password2",
]
# The client's address (config/client_address.py, docs/deploy.md): behind N proxies that
# each append to X-Forwarded-For, the N-th address from the right; with no proxy (the
# default) the header is ignored, as anyone can forge it, and the connection's address counts.
BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY", default=False)
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 1 if BEHIND_TLS_PROXY else 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "config.client_address.client_address"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail (the reminders, `manage.py send_reminders`): printed to the console in
# development, sent by SMTP in production, with the server's settings from the environment.
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "webmaster@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address of the site as its users reach it: the links in e-mails start with it.
SITE_URL = env_str("DJANGO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Django's cache (recruitment/figures_cache.py, sessions): a file cache shared by the
# processes of one server, no server to run; Redis, shared by several app servers, with
# REDIS_URL. systemd's CacheDirectory= gives the service its own directory. The file cache
# counts its entries on one write in 200, not on each (config/cache.py).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.AmortisedFileBasedCache",
            "LOCATION": env_str(
                "DJANGO_CACHE_DIR", env_str("CACHE_DIRECTORY", str(BASE_DIR / ".cache"))
            ),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
# Keys name the database they were computed from: a dashboard's figures are kept per unit
# id and year, and two databases behind one cache (staging and production on one Redis, the
# demo and a benchmark's database on one machine) have the same ids for other units. Seen:
# the national benchmark served a demo city's figures under the nation's name.
_database = DATABASES["default"]
CACHES["default"]["KEY_PREFIX"] = hashlib.sha256(
    f"{_database.get('HOST')}:{_database.get('PORT')}/{_database.get('NAME')}".encode()
).hexdigest()[:12]
# Template fragments that are the same for every user of a language and role (the menu of
# the navigation bar): kept in each process's memory, no file or server to read.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}
# The signed-in users, kept in each process's memory under versions read from the default
# cache (accounts/backends.py): no password hash goes to a file or a server. Five minutes at
# most: a write that reached another server's cache only shows then.
CACHES["users"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "users",
    "TIMEOUT": 300,
    "OPTIONS": {"MAX_ENTRIES": 5000},
}
# The dashboard's panels and the fragments drawn from them, whose keys name the versions of
# what they show: once read from the default cache, kept in each process's memory as they
# are, for five minutes at most (config/cache.py). A district's dashboard held ~0.5 MB of
# them at national scale.
CACHES["kept"] = {
    "BACKEND": "config.cache.ReadOnceCache",
    "LOCATION": "kept",
    "TIMEOUT": 300,
    "OPTIONS": {"BEHIND": "default", "MAX_ENTRIES": 200},
}

# Sessions read from the cache and written through to the database (which survives a
# cleared cache). Expiry counts from the last request (an idle timeout), but the session is
# written again only when its last write is older than SESSION_REFRESH_SECONDS
# (config/middleware.py): not a database write on every page.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# At least a second: 0 would end every session as it starts.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_IDLE_SECONDS", 60 * 60 * 8, minimum=1)
SESSION_REFRESH_SECONDS = min(300, SESSION_COOKIE_AGE // 10)
SESSION_SAVE_EVERY_REQUEST = False

# Production hardening; all on unless DEBUG.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer's probe may ask gunicorn directly, over plain HTTP (config/health.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
# The language switch's choice outlives the browser session (Django's default cookie ends
# with it, and users would find the app in Vietnamese again each morning).
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = False  # Django reads the token from the form, not from JS
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp): everything from this server, no inline script.
# Inline style attributes stay allowed: Django admin and crispy-forms emit a few.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Pipeline rules (DESIGN.md §3). Regulations change: every number is a setting,
# overridable as RECRUITMENT_<NAME> in the environment. Defaults: recruitment/regulation.py.
RECRUITMENT = {
    name: (env_int if isinstance(default, int) else env_str)(f"RECRUITMENT_{name}", default)
    for name, default in RECRUITMENT_DEFAULTS.items()
}

# --- Spreadsheet imports (recruitment/imports/). Files above the limit are refused before
# they are read; XLSX files (zip archives) whose content unpacks to more than
# IMPORT_MAX_UNPACKED_BYTES are refused as zip bombs. Files up to IMPORT_INLINE_BYTES are
# checked and written during the request; larger ones by the background worker
# (`manage.py db_worker`, see README "Imports").
IMPORT_MAX_BYTES = env_int("DJANGO_IMPORT_MAX_MB", 50, minimum=1) * 1024 * 1024
IMPORT_MAX_UNPACKED_BYTES = 10 * IMPORT_MAX_BYTES
IMPORT_INLINE_BYTES = env_int("DJANGO_IMPORT_INLINE_KB", 256, minimum=0) * 1024
# Stops keeping an upload once it passes IMPORT_MAX_BYTES; then Django's own handlers.
FILE_UPLOAD_HANDLERS = [
    "recruitment.imports.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Background tasks: Django's tasks framework (backport) with its database backend, so that
# no broker or extra server is needed; `manage.py db_worker` runs them.
TASKS = {
    "default": {
        "BACKEND": env_str("DJANGO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# One line per request (config/requestlog.py), as JSON objects with DJANGO_LOG_JSON=1.
LOG_JSON = env_bool("DJANGO_LOG_JSON", default=False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.requestlog.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        "config.requests": {
            "level": "INFO" if env_bool("DJANGO_REQUEST_LOG", default=True) else "WARNING"
        }
    },
}
