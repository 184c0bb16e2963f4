"""One settings module, read from the environment.

Development defaults need nothing installed: SQLite (WAL, foreign keys on), a real Celery worker
and beat on kombu's filesystem transport, console email. Production is selected with
``DJANGO_ENV=production`` and then refuses to start without a secret key and allowed hosts.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# Local state of the zero-setup run: the SQLite file, the filesystem broker, collected static.
VAR_DIR = Path(env.str("TRE_VAR_DIR", default=str(BASE_DIR / "var")))

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured("DJANGO_ENV must be one of development, production, test")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)

if PRODUCTION:
    # A missing secret in production is a deployment error: fail at start, loudly.
    try:
        SECRET_KEY = env.str("DJANGO_SECRET_KEY")
        ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            f"Production settings need DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS: {exc}"
        ) from exc
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name at least one host")
    # The embedded defaults (SQLite, filesystem broker) are for one machine only: production
    # names its PostgreSQL and Redis explicitly rather than silently writing to var/.
    for required in ("DATABASE_URL", "CELERY_BROKER_URL"):
        if not env.str(required, default=""):
            raise ImproperlyConfigured(f"Production settings need {required}")
else:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY",
        default="django-insecure-development-only-key-never-used-in-production-0123456789",
    )
    ALLOWED_HOSTS = env.list(
        "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"]
    )

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "csp",
    "axes",
    # Sign-in through identity providers (OpenID Connect, ORCID): access/identity/.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "core",
    "access",
    "catalogue",
    "workflow",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: a control character in the path, the query or a
    # page's form is a 400, a body over DATA_UPLOAD_MAX_MEMORY_SIZE a 413 (core/text.py).
    "core.middleware.RequestInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A browser session idle past SESSION_IDLE_TIMEOUT_MINUTES is signed out (access/sessions.py).
    "access.sessions.IdleTimeoutMiddleware",
    # allauth's per-request state (its sign-in flows); it adds no page of its own here.
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Domain errors a page view did not handle itself become the 403 page or a banner.
    "core.middleware.DomainErrorMiddleware",
    # A lost database connection becomes a clean 503 (API error shape or the 503 page).
    "core.security.DatabaseUnavailableMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout response.
    "axes.middleware.AxesMiddleware",
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
            # ``in_sentence`` (a label inside a sentence, acronyms kept) in every template,
            # the notices' subject and body templates included.
            "builtins": ["core.templatetags.govuk"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "access.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Default: SQLite in var/, with WAL and foreign keys on, so the zero-setup run needs nothing.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tre.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            # WAL lets the web process, the worker and beat read while one writes; the busy
            # timeout makes a writer wait for the lock instead of failing at once.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side parameters, so that psycopg can prepare a statement the connection has run
    # a few times: PostgreSQL then skips parsing and planning it again. Planning was most of
    # the database's time for the API's small queries (docs/scaling.md). Behind PgBouncer in
    # transaction mode, give it max_prepared_statements (1.21+) or set the threshold empty.
    prepare_threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5")
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=env.bool("DATABASE_SERVER_SIDE_BINDING", default=True),
        prepare_threshold=int(prepare_threshold) if prepare_threshold else None,
    )
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "DATABASE_TEST_NAME", default=f"test_{DATABASES['default']['NAME']}"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "access.User"
# django-axes first: it refuses a locked-out login before our backend checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "access.backends.EmailOrUsernameBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Identity: sign-in through providers, registration, vouching (docs/identity.md) ----------
# Password sign-in (the web form and POST /api/v1/auth/token/): on for the embedded demo; set
# PASSWORD_SIGN_IN=false in production once a provider is configured, and people sign in
# through their institution only.
PASSWORD_SIGN_IN = env.bool("PASSWORD_SIGN_IN", default=True)
# How long a registration or invitation link works.
REGISTRATION_LINK_HOURS = env.int("REGISTRATION_LINK_HOURS", default=24)
INVITATION_LINK_DAYS = env.int("INVITATION_LINK_DAYS", default=14)
# An organisation's signatories and user managers are reminded of someone waiting this long
# for them to confirm an affiliation (the reminder sweep, once per affiliation).
AFFILIATION_REMINDER_DAYS = env.int("AFFILIATION_REMINDER_DAYS", default=5)
# A consultation of the consumer panel still unanswered this many days after the team asked is
# reminded to the panel's members, and escalated to ops after the second (the reminder sweep,
# once per consultation).
CONSULTATION_REMINDER_DAYS = env.int("CONSULTATION_REMINDER_DAYS", default=7)
CONSULTATION_ESCALATION_DAYS = env.int("CONSULTATION_ESCALATION_DAYS", default=14)
# Self-registration (a signed, expiring email link): by default open exactly when no sign-in
# service is configured; SELF_REGISTRATION=true or false decides it outright.
SELF_REGISTRATION = env.bool("SELF_REGISTRATION", default=None)


def _oidc_apps() -> list[dict]:
    """OpenID Connect providers from the environment: OIDC_PROVIDERS=uni,orcid and, for each
    id, OIDC_<ID>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, and optionally _NAME (the button's
    words), _SCOPES (default "openid email profile") and _AFFILIATION_CLAIM (a claim naming the
    person's organisation). The id ``orcid`` records the ORCID iD (the subject) on the person."""
    apps = []
    for provider_id in env.list("OIDC_PROVIDERS", default=[]):
        prefix = f"OIDC_{provider_id.upper().replace('-', '_')}_"
        apps.append(
            {
                "provider_id": provider_id,
                "name": env.str(prefix + "NAME", default=provider_id),
                "client_id": env.str(prefix + "CLIENT_ID"),
                "secret": env.str(prefix + "CLIENT_SECRET"),
                "settings": {
                    "server_url": env.str(prefix + "ISSUER"),
                    "scope": env.str(prefix + "SCOPES", default="openid email profile").split(),
                    "oauth_pkce_enabled": True,
                    "affiliation_claim": env.str(prefix + "AFFILIATION_CLAIM", default=""),
                },
            }
        )
    return apps


SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": _oidc_apps()}}
SOCIALACCOUNT_ADAPTER = "access.identity.adapters.ProviderSignInAdapter"
ACCOUNT_ADAPTER = "access.identity.adapters.AccountAdapter"
# A first sign-in makes the account from the verified claims, with no form in between; a
# returning person is found by the provider's subject only (never by email).
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True  # stored in UTC, shown in UK time

STATIC_URL = "/static/"
# The site's own CSS/JS (static/site/) and the npm assets scripts/assets.sh copies (static/vendor/).
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
        # Static files are public and nginx (an unprivileged user) serves them: readable by
        # all, unlike evidence uploads (FILE_UPLOAD_PERMISSIONS below), which nobody but the
        # app may read.
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
MEDIA_ROOT = Path(env.str("TRE_MEDIA_ROOT", default=str(VAR_DIR / "media")))

# --- Email ----------------------------------------------------------------------------------
if PRODUCTION:
    EMAIL_CONFIG = env.email_url("EMAIL_URL")
else:
    EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="TRE access <access@tre.example>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Tamper-evident audit (core/audit_chain.py, workflow/audit_check.py) --------------------
# AUDIT_KEY seals every audit event (HMAC-SHA256): held by the web and worker processes only,
# never stored in the database, so whoever can write the database cannot forge or rewrite the
# history undetected. Rotate by moving the old key to AUDIT_KEY_FALLBACKS (events it sealed
# keep verifying). AUDIT_CHECKPOINT_DIR: where beat seals every chain head hourly, a directory
# the database cannot write (deploy/README.md); verify_audit compares against the newest.
if PRODUCTION:
    AUDIT_KEY = env.str("AUDIT_KEY", default="")
    if len(AUDIT_KEY) < 32:
        raise ImproperlyConfigured("Production settings need AUDIT_KEY (32 characters or more)")
else:
    AUDIT_KEY = env.str("AUDIT_KEY", default="development-only-audit-key-never-used-in-production")
AUDIT_KEY_FALLBACKS = env.list("AUDIT_KEY_FALLBACKS", default=[])
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default="")

# --- Provisioning: what the secure environment is told (workflow/provisioning/) ---------------
# Webhook receivers: a private, loopback or reserved address is refused (SSRF) unless allowed
# (development and tests, where the receiver runs on this machine). Each attempt waits at most
# WEBHOOK_TIMEOUT_SECONDS; a failure is retried after BASE * 2^(attempts-1) seconds, at most MAX.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=not PRODUCTION
)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=10)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3600)
# GA4GH visas are signed with this private key (PEM, EC P-256 → ES256 or RSA → RS256), given
# inline or as a file. Without one, development and tests make a key in TRE_VAR_DIR; production
# serves no visas (503) until one is set. VISA_ISSUER is the visas' "iss" (default SITE_URL).
VISA_SIGNING_KEY = env.str("VISA_SIGNING_KEY", default="")
VISA_SIGNING_KEY_FILE = env.str(
    "VISA_SIGNING_KEY_FILE", default="" if PRODUCTION else str(VAR_DIR / "visa-signing-key.pem")
)
VISA_ISSUER = env.str("VISA_ISSUER", default="")
VISA_LIFETIME_HOURS = env.int("VISA_LIFETIME_HOURS", default=24)

# An Idempotency-Key on an API write is kept this long (core/api/idempotency.py).
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)

# --- Sessions and API tokens (access/sessions.py) --------------------------------------------
# A browser session ends after this long without a request, and at most SESSION_COOKIE_AGE
# after sign-in; signing out everywhere, a new password or deactivation end it at once.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30)
SESSION_COOKIE_AGE = env.int("SESSION_MAX_AGE_HOURS", default=12) * 3600
# API tokens (django-rest-knox): stored hashed, one per sign-in, expiring API_TOKEN_TTL_HOURS
# after their last use (sliding, written at most once a minute) and API_TOKEN_MAX_AGE_HOURS
# after they were issued whatever the use; then the client signs in again.
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=8)),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": datetime.timedelta(
        hours=env.int("API_TOKEN_MAX_AGE_HOURS", default=7 * 24)
    ),
    "MIN_REFRESH_INTERVAL": 60,
    "TOKEN_LIMIT_PER_USER": env.int("API_TOKEN_LIMIT_PER_USER", default=20),
    "AUTH_HEADER_PREFIX": "Token",
}

# A trivial authenticated endpoint, /api/v1/bench/floor/, that the benchmarks measure every
# endpoint against (scripts/bench.py). Never on in a deployment.
BENCHMARK_FLOOR_ENDPOINT = env.bool("TRE_BENCHMARK_FLOOR", default=False)

# Content Security Policy (django-csp): everything from our own origin, nothing inline. The
# pages keep their JavaScript and CSS in static files (the agreed rule for every template);
# htmx is told not to inject its indicator <style> (base.html's htmx-config). The API docs page
# too: Swagger UI is served from static/vendor/ (core/api/docs.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Who the client is, behind the proxies ------------------------------------------------------
# How many trusted proxies append to X-Forwarded-For in front of the app: 1 for nginx alone
# (deploy/nginx, $proxy_add_x_forwarded_for), 2 with a load balancer before it (Kubernetes:
# deploy/k8s/config.yaml), 0 with none (development: the connection's address is the client's).
# The client's address is the NUM_PROXIES-th entry from the right (core/client.py); entries
# further left are what the client wrote and prove nothing. Too high a count lets a client choose
# its address; too low counts every client as the proxy.
NUM_PROXIES = env.int("NUM_PROXIES", default=1 if PRODUCTION else 0)

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failures for one username from one
# client address, that pair is locked out for AXES_COOLOFF_TIME, on the sign-in page and on the
# API token login alike (both go through django.contrib.auth.authenticate with the request).
# Per pair rather than per username, so nobody can lock a colleague out from elsewhere; the
# address is the proxies' (core.client.client_address), the same the API token login's throttle
# counts (LOGIN_THROTTLE_RATE: attempts per address, in the shared cache). Failures are rows in
# the database, shared by every process.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.client.client_address"
AXES_VERBOSE = False

# --- Evidence uploads (ethics letters, accreditation certificates) ---------------------------
# Stored under MEDIA_ROOT, which is outside the web root: nothing serves it but the views that
# check who may see the file (workflow/evidence.py). Types are sniffed from the content.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
EVIDENCE_CONTENT_TYPES = ["application/pdf", "image/png", "image/jpeg"]
# Files asked out of the TRE (workflow/output_checks/files.py), kept like the evidence.
OUTPUT_MAX_BYTES = env.int("OUTPUT_MAX_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# --- REST framework and OpenAPI -------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first so an anonymous API call gets 401 with a WWW-Authenticate challenge;
    # the session still authenticates the web pages and the browsable API.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "access.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every view opts in to what anonymous users may read.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three parsers, refusing control characters in any field and JSON nested too deep.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "core.api.parsers.FormParser",
        "core.api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # drf-spectacular's, with every operation's error answers and the list caps (maxItems).
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # API token logins per client address (core/api/throttling.py), in the shared cache.
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("LOGIN_THROTTLE_RATE", default="10/min"),
        # Requests per client address to the public endpoints and pages, signed out
        # (core/api/throttling.py: AnonymousRateThrottle).
        "anonymous": env.str("ANONYMOUS_THROTTLE_RATE", default="120/min"),
    },
    # DRF's own reading of X-Forwarded-For, for any other throttle: the same count of proxies.
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "TRE access-request API",
    "DESCRIPTION": (
        "Researchers request access to data held in a trusted research environment; analysts "
        "scope, reviewers and panels decide, data owners sign off, ops grant access."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI would otherwise send the schema's address to validator.swagger.io for a badge.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema_hooks.blank_formats_in_responses",
        "core.api.schema_hooks.json_request_bodies",
        "core.api.schema_hooks.integer_path_parameters",
    ],
    # Choice sets used by several fields get one stable name each.
    "ENUM_NAME_OVERRIDES": {
        "SensitivityEnum": "catalogue.models.Sensitivity",
        "PurposeEnum": "catalogue.models.Purpose",
        "OutputsAllowedEnum": "catalogue.models.OutputsAllowed",
        "ApplicationStateEnum": "workflow.models.State",
        "TrackStateEnum": "workflow.models.TrackState",
        "FeedbackStageEnum": "workflow.models.FEEDBACK_STAGE_CHOICES",
        "OutcomeEnum": "workflow.models.Outcome",
        "InvolvementStatusEnum": "workflow.models.InvolvementStatus",
        "LetterOutcomeEnum": "workflow.route.serializers.LETTER_OUTCOMES",
        "AccreditationKindEnum": "access.models.AccreditationKind",
        "AccreditationStateEnum": "access.models.AccreditationState",
        "SignatureCapacityEnum": "workflow.safes.serializers.CAPACITIES",
        "SignatureCapacityInputEnum": "workflow.safes.serializers.CAPACITY_INPUTS",
        "GrantStateEnum": "access.models.GrantState",
        "AffiliationStateEnum": "access.models.AffiliationState",
        "InviteProjectRoleEnum": "workflow.route.serializers.INVITE_ROLES",
        "ProjectRoleEnum": "workflow.models.ProjectRole",
        "ChangeKindEnum": "workflow.models.ChangeKind",
        "ConditionStateEnum": "workflow.models.ConditionState",
        "OutputKindEnum": "workflow.models.OutputKind",
        "RegisterStatusEnum": "workflow.models.RegisterStatus",
        "OutputRequestStateEnum": "workflow.models.OutputRequestState",
        "OutputFileKindEnum": "workflow.models.FileKind",
        "OutputDecisionEnum": "workflow.models.Decision",
        "SittingStateEnum": "workflow.models.SittingState",
        "AgendaItemStateEnum": "workflow.models.AgendaItemState",
        "PanelModeEnum": "workflow.models.PanelMode",
        "ProgressReportStateEnum": "workflow.models.ReportState",
        "ClosureStateEnum": "workflow.models.ClosureState",
        "AmendmentChangeTypeEnum": "workflow.models.ChangeType",
        "AmendmentStateEnum": "workflow.models.AmendmentState",
        "AmendmentTrackOutcomeEnum": "workflow.models.TrackOutcome",
        "AmendmentReviewerEnum": "workflow.models.Reviewer",
        "AmendmentRouteWhenEnum": "workflow.models.RouteWhen",
    },
}

# --- Celery ---------------------------------------------------------------------------------
# Development: kombu's filesystem transport, a real broker in a folder, so the same task code
# runs as in production with nothing installed. Production: CELERY_BROKER_URL=redis://...
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport needs its folders to exist before the first message.
    for folder in ("queue", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "results").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Fanout exchanges (worker control, mingle, gossip); kombu's default is ./control.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = env.str(
        "CELERY_RESULT_BACKEND", default=f"file://{VAR_DIR / 'results'}"
    )
else:
    # Redis re-delivers an unacknowledged task after the visibility timeout; keep it longer
    # than the slowest task so acks_late does not cause a duplicate run.
    # Time-outs so a Redis that stops answering (rather than refusing) cannot hang a request
    # that publishes after commit; the outbox sweep publishes whatever was not sent.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
    }
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The beat schedule is one table in config/celery.py.

# --- Cache ------------------------------------------------------------------------------------
# What every web process must share: the sign-in throttle's counts (in each process's memory,
# the limit was multiplied by the number of gunicorn workers). Production: Redis, CACHE_URL
# (default: the broker's Redis; keys are prefixed). Development and tests: a table in the
# database, nothing to install; migrate creates it (core/apps.py).
_default_cache = (
    CELERY_BROKER_URL
    if PRODUCTION and CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else "dbcache://tre_cache"
)
CACHES = {"default": env.cache_url("CACHE_URL", default=_default_cache)}
CACHES["default"]["KEY_PREFIX"] = "tre"
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A Redis that stops answering must not hold a request: the throttle lets sign-in through.
    CACHES["default"].setdefault("OPTIONS", {}).update(socket_connect_timeout=2, socket_timeout=2)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Domain settings ------------------------------------------------------------------------
# Words, not statistics: a lay summary is published, so it is kept short (HDR UK register).
LAY_SUMMARY_MAX_WORDS = 300
# Stage and panel targets are set by ops, as versions (workflow.StageTarget; defaults in
# workflow/turnaround/targets.py). An application open this long is escalated to ops, and the
# request-to-access median is shown against this target (SAIL: "roughly 3 months").
TURNAROUND_OPEN_ALERT_DAYS = env.int("TURNAROUND_OPEN_ALERT_DAYS", default=365)
TURNAROUND_REQUEST_TO_ACCESS_TARGET_DAYS = env.int(
    "TURNAROUND_REQUEST_TO_ACCESS_TARGET_DAYS", default=90
)
# The forecast uses a stage's history once this many past cases exist on the route (over every
# route, then padded with the target, with fewer: docs/turnaround.md).
TURNAROUND_FORECAST_MIN_HISTORY = env.int("TURNAROUND_FORECAST_MIN_HISTORY", default=3)
# How long the forecast's history (every stage visit, ranked) is kept before it is read again,
# in seconds; beat refreshes it hourly (workflow/turnaround/forecast.py: stored_history).
TURNAROUND_FORECAST_HISTORY_MAX_AGE = env.int("TURNAROUND_FORECAST_HISTORY_MAX_AGE", default=3600)
# How old the Turnaround page's counts of open work (and its oldest open applications) may be,
# in seconds; beat counts them again every four minutes (workflow/turnaround/dashboard.py).
TURNAROUND_LIVE_FIGURES_MAX_AGE = env.int("TURNAROUND_LIVE_FIGURES_MAX_AGE", default=300)

# --- Safe people and the Five Safes (docs/five-safes.md) -------------------------------------
# How long each kind of accreditation lasts by default, in years: SAIL renews safe-researcher
# training every 2 years; UKSA accredits researchers fully for 5 years, provisionally for 3.
ACCREDITATION_VALIDITY_YEARS = {
    "safe_researcher": env.int("ACCREDITATION_SAFE_RESEARCHER_YEARS", default=2),
    "dea_full": env.int("ACCREDITATION_DEA_FULL_YEARS", default=5),
    "dea_provisional": env.int("ACCREDITATION_DEA_PROVISIONAL_YEARS", default=3),
}
# Safe outputs: the smallest cell count an output may show (SAIL-POL-024 v1.7: 10; it was 5).
DISCLOSURE_MIN_CELL_COUNT = env.int("DISCLOSURE_MIN_CELL_COUNT", default=10)
# The Five Safes checks: modules that register them (add a TRE's own module here) and codes to
# switch off. See workflow/safes.py.
FIVE_SAFES_CHECK_MODULES = ["workflow.safes.builtin_checks"]
FIVE_SAFES_DISABLED_CHECKS: list[str] = env.list("FIVE_SAFES_DISABLED_CHECKS", default=[])
# Public benefit (advisory): panel scores that differ by this much or more on a question are
# shown as diverging; the band cut-offs of the mean score (004 framework, section 4.8 of seeds).
PUBLIC_BENEFIT_DIVERGENCE = 2
PUBLIC_BENEFIT_BANDS = {"likely": 4.0, "likely_higher_risk": 4.3, "some_issues": 2.5}

# --- Transparency: the public data-use register (docs/register.md) ---------------------------
# The processing environment every approved project uses, as the register states it (UKSA
# register column "Processing Environment"; HDR UK DUR "access type" is always TRE here).
TRE_PROCESSING_ENVIRONMENT = env.str(
    "TRE_PROCESSING_ENVIRONMENT",
    default="SAIL-style trusted research environment (remote desktop, no download)",
)
