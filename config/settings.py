"""One settings module for every environment, read from environment variables.

With no variables set it runs the embedded default of `make run`: SQLite under var/, Celery
tasks in-process, mail printed to the console. Production sets DEBUG=0 and the variables in
the README's table.
"""

import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

env = environ.Env()

TESTING = "pytest" in sys.modules or env.bool("TESTING", default=False)
DEBUG = env.bool("DEBUG", default=False)

# The image build (Dockerfile) runs collectstatic with DJANGO_BUILD_STEP=1: the settings then
# load without the runtime secrets, which the image must never contain. Any other command with
# it set is refused, so the switch cannot start a site without its secrets.
BUILD_STEP = env.bool("DJANGO_BUILD_STEP", default=False)
if BUILD_STEP and sys.argv[1:2] != ["collectstatic"]:
    raise ImproperlyConfigured("DJANGO_BUILD_STEP=1 is for `manage.py collectstatic` only.")
# Production (DEBUG=0, not the test suite) refuses to start without what it must not run
# without; the list is checked once, below the settings it names (_refuse_unsafe_production).
PRODUCTION = not (DEBUG or TESTING)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET_KEY if (DEBUG or TESTING) else "")
if BUILD_STEP and not SECRET_KEY:
    SECRET_KEY = secrets.token_urlsafe(50)  # signs nothing: it dies with the build step

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if (DEBUG or TESTING) else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
SITE_NAME = env("SITE_NAME", default="Lage Landen Dating")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "csp",
    "anymail",
    "django_celery_beat",
    "members",
    "privacy",
    "moderation",
    "payments",
    "profiles",
    "messaging",
    "mailings",
    "activity",
    "stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RequestBodyLimitMiddleware",  # 413 before a too large body is read
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "privacy.access_log.StaffAccessLogMiddleware",  # staff views of personal data in admin
    "members.middleware.SiteLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "members.request_guard.RefuseNulBytesMiddleware",  # a NUL in a URL id is a 404, not a 500
    "members.middleware.PageViewSessionsMiddleware",  # allauth's, skipping htmx polls
    # After CSP's: it drops cookies without consent and opens the CSP for Google Analytics.
    "privacy.cookie_middleware.CookieConsentMiddleware",
    "activity.partners.AffiliateClickMiddleware",  # a partner's link, with consent only
    "members.middleware.StaffTwoFactorMiddleware",
    "members.middleware.NoStoreForMembersMiddleware",
    "members.middleware.LastActiveMiddleware",
    "privacy.middleware.PrivacyStatementMiddleware",  # asks to read a new statement version
    "activity.middleware.PageVisitMiddleware",  # pages visited, buffered (activity.page_visits)
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
                "csp.context_processors.nonce",
                "config.context_processors.site",
                "messaging.context_processors.unread_messages",
                "privacy.cookie_middleware.cookie_context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Tests run on PostgreSQL; `make run` on SQLite under var/ unless DATABASE_URL says otherwise.
_default_db = (
    "postgres://postgres@127.0.0.1:5432/datingsite"
    if TESTING
    else f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
)
DATABASES = {"default": env.db("DATABASE_URL", default=_default_db)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Parallel requests (a page of thumbnails) write at once: transactions take the write lock
    # when they begin instead of failing on upgrade ("database is locked"), a writer waits up
    # to 20 s for another, and WAL lets readers go on while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery ------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache that serves from the process's memory while Redis is down
            # (members.cache): pages, log-ins and rate limits keep working without it.
            "BACKEND": "members.cache.ResilientRedisCache",
            "LOCATION": env("CACHE_URL", default=REDIS_URL),
            # Each pytest-xdist worker gets its own keys, so rate-limit tests do not collide.
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="site")
            + os.environ.get("PYTEST_XDIST_WORKER", ""),
            "OPTIONS": {
                # A Redis that hangs costs a page this long, not a worker timeout.
                "socket_timeout": env.float("CACHE_REDIS_TIMEOUT_SECONDS", default=0.5),
                "socket_connect_timeout": env.float("CACHE_REDIS_TIMEOUT_SECONDS", default=0.5),
                # After a failure Redis is left alone this long (one timeout per interval).
                "RETRY_SECONDS": env.float("CACHE_REDIS_RETRY_SECONDS", default=10.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# Without a broker (make run) tasks run in-process, right after the transaction commits.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL or TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that sends a task to a broker that is down gives up within about a second
# (members.enqueue logs it; the work waits as a row for its sweep) instead of retrying for
# seconds while the member waits.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = "UTC"
# Beat keeps when each task last ran in PostgreSQL (django-celery-beat), so a deploy does not
# restart the clock of the 6-hourly and daily tasks. CELERY_BEAT_SCHEDULE below stays the
# source of truth: beat writes it into the database at start and drops entries not in it
# (config.beat).
CELERY_BEAT_SCHEDULER = "config.beat:SettingsDatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Photos whose processing task was lost are sent again (profiles.photos).
    "photo-processing": {
        "task": "profiles.tasks.sweep_processing_photos",
        "schedule": 60.0,
    },
    "resend-unsent-mail": {
        "task": "members.tasks.sweep_outgoing_mail",
        "schedule": 60.0,
    },
    # The first run after 08:00 Europe/Amsterdam sends the day's message summaries; the others
    # find nothing left to send (messaging.notifications.send_daily_digests).
    "message-daily-digest": {
        "task": "messaging.tasks.send_daily_digests",
        "schedule": 900.0,
    },
    # Immediate message notifications whose task was lost are enqueued again.
    "message-lost-notifications": {
        "task": "messaging.tasks.sweep_lost_notifications",
        "schedule": 300.0,
    },
    # Exports: build the ones whose task was lost, delete expired files (privacy.exports).
    "data-exports": {
        "task": "privacy.tasks.sweep_data_exports",
        "schedule": 600.0,
    },
    # Erase closed accounts whose time has come, immediate erasures within minutes
    # (privacy.erasure).
    "erase-due-accounts": {
        "task": "privacy.tasks.erase_due_accounts",
        "schedule": 300.0,
    },
    # Helpdesk: the morning summary of requests due within 7 days (once a day, after 08:00
    # Amsterdam time), and erasure of requests past their retention (privacy.requests).
    "privacy-requests-daily": {
        "task": "privacy.tasks.privacy_requests_daily",
        "schedule": 900.0,
    },
    # Campaigns: start those whose send time came, re-enqueue batches whose worker died,
    # release claims past their lease, finish those with nothing left (mailings.sending).
    "campaigns": {
        "task": "mailings.tasks.run_campaigns",
        "schedule": 15.0,
    },
    # Suggestion mails: each opted-in member at most once per SUGGESTION_MAIL_INTERVAL_DAYS.
    "suggestion-mails": {
        "task": "mailings.tasks.send_suggestion_mails",
        "schedule": 3600.0,
    },
    # Anonymised statistics, once a night after midnight in Amsterdam (03:15 UTC): the last
    # days and weeks are computed again and replaced (stats.services.compute_statistics).
    "statistics-nightly": {
        "task": "stats.tasks.compute_statistics",
        "schedule": crontab(hour=3, minute=15),
    },
    # What the site records by itself: full IPs shortened, old log-ins, sessions and pages
    # visited deleted (activity.retention; idempotent, so a few runs a day keep it on time).
    "activity-retention": {
        "task": "activity.tasks.apply_retention",
        "schedule": 6 * 3600.0,
    },
    # Pages visited: the buffered page views written in bulk (activity.page_visits). A run
    # not started within 30 s is dropped: the next one writes the same records.
    "page-visits": {
        "task": "activity.tasks.flush_page_visits",
        "schedule": 30.0,
        "options": {"expires": 30},
    },
    # Account restrictions and suspensions past their end date end, suspended members may log
    # in again (moderation.services.end_expired_sanctions; idempotent).
    "end-expired-sanctions": {
        "task": "moderation.tasks.end_expired_sanctions",
        "schedule": 300.0,
    },
    # Statements of reasons kept without their erased member are deleted once
    # MODERATION_STATEMENT_YEARS have passed (moderation.personal_data; idempotent).
    "delete-detached-statements": {
        "task": "moderation.tasks.delete_detached_statements",
        "schedule": crontab(hour=4, minute=40),
    },
    # Temporary upload files an interrupted request left behind in FILE_UPLOAD_TEMP_DIR (a
    # killed web worker never deletes its own) go after an hour (config.uploads).
    "upload-temp-files": {
        "task": "config.tasks.clean_upload_temp_dir",
        "schedule": 900.0,
    },
}
# Mail rows not sent this long after they were written are picked up again by the sweep (every
# minute), so a mail whose task was lost goes out within two minutes; after a failed attempt
# the wait doubles (at most an hour).
OUTGOING_MAIL_RETRY_AFTER_SECONDS = env.int("OUTGOING_MAIL_RETRY_AFTER_SECONDS", default=60)

# --- Accounts --------------------------------------------------------------------------------
AUTH_USER_MODEL = "members.Member"
# allauth's backend only (username or e-mail, permissions as ModelBackend): one Argon2 check
# per failed log-in, not one per backend (members.auth_backends).
AUTHENTICATION_BACKENDS = ["members.auth_backends.MemberAuthenticationBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:  # same algorithm and format, lowest cost: the suite logs in hundreds of times
    PASSWORD_HASHERS.insert(0, "members.hashers.QuickArgon2PasswordHasher")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "members.adapter.MemberAccountAdapter"
ACCOUNT_FORMS = {
    "signup": "members.forms.MemberSignupForm",
    # Reads the sealed member part of password reset links (members.adapter).
    "user_token": "members.forms.MemberUserTokenForm",
}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_USERNAME_VALIDATORS = "members.validators.username_validators"
ACCOUNT_PRESERVE_USERNAME_CASING = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
# Confirmation links carry a random key stored with the address, not allauth's signed (and
# readable) id of the address, which told how many addresses were signed up before.
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Links in mail (confirmation, reset) use the scheme of the public address.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(SITE_URL).scheme or "https"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
USERSESSIONS_TRACK_ACTIVITY = True

# The versions of the texts a member accepts at sign-up (R1.4); bump when the text changes.
TERMS_VERSION = "2026-11"
PRIVACY_STATEMENT_VERSION = "2026-11"

# Authenticated encryption at rest for special-category data and message text (Fernet).
# FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first (MultiFernet: old keys
# still decrypt, so keys rotate by prepending a new one). Without it (dev, tests) a key is
# derived from SECRET_KEY; production must set it.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# Photos (issue 3): at most this many per member, this big.
PHOTO_MAX_PER_MEMBER = 12
PHOTO_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Every image the site decodes (photos, selfies, contact attachments) has at most this many
# pixels (a WebP a quarter of it), checked in the header before decoding (privacy.images).
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=24_000_000)
# A photo still being processed this long after its upload gets its task sent again; a photo
# whose task started more often than this without finishing fails.
PHOTO_PROCESSING_RETRY_SECONDS = 120
PHOTO_PROCESSING_MAX_ATTEMPTS = 3
# Request bodies: a request declaring more than MAX_REQUEST_BODY_BYTES is answered 413 before
# its body is read (config.middleware; nginx's client_max_body_size matches it). Uploads above
# FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file, deleted when the request ends.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=16 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # form fields other than files (Django's default)
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# The verified badge (issue 11): selfies a member may send per 24 hours (refused ones count).
VERIFICATION_REQUESTS_PER_DAY = env.int("VERIFICATION_REQUESTS_PER_DAY", default=3)

# Payments (issue 4). Without MOLLIE_API_KEY a built-in stand-in for Mollie's test checkout
# drives the same webhook code, so `make run` can buy credits offline. With DEBUG=0 the
# stand-in gives credits for nothing, so production refuses to start without a key unless
# PAYMENTS_STAND_IN=1 says it is a staging site: then every page says payments are simulated
# and `check --deploy` warns (payments.W001). With a key the stand-in is off (404).
MOLLIE_API_KEY = env("MOLLIE_API_KEY", default="")
PAYMENTS_STAND_IN = env.bool("PAYMENTS_STAND_IN", default=False)
# A paying member has a settled purchase within this many days (empty: no time limit).
PAYING_MEMBER_WINDOW_DAYS = env.int("PAYING_MEMBER_WINDOW_DAYS", default=0) or None

# Who may see premium photos (R2.4): profiles asks this callable, so it needs no import of
# the payments app.
PREMIUM_ACCESS_CHECK = "payments.services.is_paying_member"

# Privacy centre (issue 6). A closed account is erased this many months after closing (the
# statement promises at most 60; shorter is allowed), and can be reopened by logging in within
# the grace period. Exports can be downloaded this many days, one request per 24 hours.
ACCOUNT_ERASURE_AFTER = env.int("ACCOUNT_ERASURE_AFTER", default=60)
if not 0 <= ACCOUNT_ERASURE_AFTER <= 60:
    raise ImproperlyConfigured("ACCOUNT_ERASURE_AFTER is in months, from 0 to 60.")
ACCOUNT_REOPEN_GRACE_DAYS = 30
DATA_EXPORT_DAYS = 7
DATA_EXPORT_INTERVAL_HOURS = 24
# The privacy statement version members accept: the latest published in admin (privacy app);
# members asks it through this name, as profiles asks PREMIUM_ACCESS_CHECK.
CURRENT_PRIVACY_STATEMENT_VERSION = "privacy.services.current_statement_version"

# Helpdesk (issue 7): requests and their exchange are erased this long after closing; the daily
# summary of requests due within 7 days goes to HELPDESK_EMAIL.
PRIVACY_REQUEST_RETENTION_DAYS = env.int("PRIVACY_REQUEST_RETENTION_DAYS", default=730)
CONTACT_ATTACHMENTS_MAX = 3
# The contact form: at most this many messages per (count, seconds) window per IP and address.
CONTACT_RATE_LIMITS = {"ip": [(5, 3600)], "email": [(3, 3600)]}
CONTACT_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
AUTORITEIT_PERSOONSGEGEVENS_URL = (
    "https://autoriteitpersoonsgegevens.nl/nl/zelf-doen/privacyrechten/klacht-indienen-bij-de-ap"
)

# Messaging (issue 5). What one message costs, how long it may be, how fast a member may send
# ((count, seconds) windows), and when the same text to many members is held for moderation.
MESSAGE_PRICE_CREDITS = env.int("MESSAGE_PRICE_CREDITS", default=2)
MESSAGE_MAX_LENGTH = 2000
MESSAGE_RATE_LIMITS = [(10, 60), (100, 3600)]
MASS_SENDING_RECEIVERS = 5
MASS_SENDING_WINDOW_SECONDS = 3600
MASS_SENDING_MIN_LENGTH = 12
# The open conversation, the inbox and the unread badge refresh this often (htmx polling).
MESSAGE_POLL_SECONDS = 4
INBOX_POLL_SECONDS = 15
# Reports one member may send per day (moderation).
REPORTS_PER_DAY = 20

# Moderation (issue 11, DSA Art. 16, 17, 20, 21, 23). Notices a visitor without an account may
# send per day from one address; how long a decision can be appealed (months); the strike
# ladder, "strikes:warning" or "strikes:suspension:days" steps (a violation counts for
# MODERATION_STRIKE_WINDOW_DAYS); a reporter with at least MODERATION_UNFOUNDED_MIN unfounded
# reports making up at least MODERATION_UNFOUNDED_SHARE of theirs is handled last.
NOTICES_PER_DAY_PER_ADDRESS = env.int("NOTICES_PER_DAY_PER_ADDRESS", default=10)
# An urgent notice about a whole account (not an item that can be hidden on its own) hides
# it at once only when this many independent reporters agree, or a trusted flagger sends it
# (moderation.urgent); otherwise it waits for a moderator, whose first look is due within
# MODERATION_URGENT_FIRST_LOOK_MINUTES (shown on the admin index).
MODERATION_ACCOUNT_HIDE_REPORTERS = env.int("MODERATION_ACCOUNT_HIDE_REPORTERS", default=2)
if MODERATION_ACCOUNT_HIDE_REPORTERS < 2:
    raise ImproperlyConfigured(
        "MODERATION_ACCOUNT_HIDE_REPORTERS: at least 2 (one reporter never hides an account)."
    )
MODERATION_URGENT_FIRST_LOOK_MINUTES = env.int("MODERATION_URGENT_FIRST_LOOK_MINUTES", default=60)
MODERATION_APPEAL_MONTHS = env.int("MODERATION_APPEAL_MONTHS", default=6)
if MODERATION_APPEAL_MONTHS < 6:
    raise ImproperlyConfigured("MODERATION_APPEAL_MONTHS: DSA Art. 20 asks for at least 6.")


def _strike_ladder(value: str) -> list[tuple[int, str, int | None]]:
    steps = []
    for step in filter(None, (part.strip() for part in value.split(","))):
        strikes, kind, *days = step.split(":")
        if kind not in ("warning", "suspension") or len(days) != (kind == "suspension"):
            raise ImproperlyConfigured(f"MODERATION_STRIKE_LADDER: cannot read {step!r}.")
        steps.append((int(strikes), kind, int(days[0]) if days else None))
    return sorted(steps)


MODERATION_STRIKE_LADDER = _strike_ladder(
    env("MODERATION_STRIKE_LADDER", default="2:warning,3:suspension:7,5:suspension:30")
)
MODERATION_STRIKE_WINDOW_DAYS = env.int("MODERATION_STRIKE_WINDOW_DAYS", default=365)
MODERATION_UNFOUNDED_MIN = env.int("MODERATION_UNFOUNDED_MIN", default=5)
MODERATION_UNFOUNDED_SHARE = env.float("MODERATION_UNFOUNDED_SHARE", default=0.8)
# Out-of-court dispute settlement bodies named in every statement of reasons (DSA Art. 21):
# a JSON list of {"name": ..., "url": ...}. Only bodies certified under Art. 21(3) for this
# kind of dispute belong here (the European Commission lists them). Empty by default, as no
# body was chosen for this site: the mails then link to the Commission's list. See README.
MODERATION_DISPUTE_BODIES = env.json("MODERATION_DISPUTE_BODIES", default=[])
if not all(isinstance(b, dict) and b.keys() >= {"name", "url"} for b in MODERATION_DISPUTE_BODIES):
    raise ImproperlyConfigured('MODERATION_DISPUTE_BODIES: a list of {"name", "url"}.')
# Statements of reasons of an erased member are kept without them this long (years), then
# deleted (moderation.personal_data.delete_detached_statements; the privacy page says so).
MODERATION_STATEMENT_YEARS = env.int("MODERATION_STATEMENT_YEARS", default=5)
# The site's own check of new and changed profile texts (moderation.detection): which groups
# run. "phone", "email", "web" (addresses and messenger handles), "payment" (payment and escort
# terms, amounts of money) and "blocked_terms" (the list in admin). Comma-separated.
MODERATION_TEXT_CHECKS = env.list(
    "MODERATION_TEXT_CHECKS", default=["phone", "email", "web", "payment", "blocked_terms"]
)
# A suspended member's log-in asks moderation whether, and until when, the suspension holds
# (members does not import moderation; see members.adapter).
SUSPENSION_AT_LOGIN = "moderation.services.suspension_at_login"

# Mail members asked for (issue 9). Campaign mails per minute over all workers (the
# throttle), rows per batch task, how long a batch may hold its claimed rows before the sweep
# gives them to another batch, and how many batches of one campaign run side by side.
CAMPAIGN_MAILS_PER_MINUTE = env.int("CAMPAIGN_MAILS_PER_MINUTE", default=6000)
CAMPAIGN_BATCH_SIZE = env.int("CAMPAIGN_BATCH_SIZE", default=200)
# A batch renews its claim every quarter of the lease: a dead worker's rows go back to the
# queue after 40 s, and the beat job (every 15 s) restarts the batches within a minute.
CAMPAIGN_CLAIM_LEASE_SECONDS = env.int("CAMPAIGN_CLAIM_LEASE_SECONDS", default=40)
CAMPAIGN_PARALLEL_BATCHES = env.int("CAMPAIGN_PARALLEL_BATCHES", default=2)
# A campaign's audience shown to Marketing below this many members reads "fewer than N", and a
# campaign to fewer is refused: audience counts must not single out one member.
CAMPAIGN_MIN_AUDIENCE = env.int("CAMPAIGN_MIN_AUDIENCE", default=50)
# Suggestion mails: at most this often per member, with at most this many new suggestions.
SUGGESTION_MAIL_INTERVAL_DAYS = env.int("SUGGESTION_MAIL_INTERVAL_DAYS", default=7)
SUGGESTION_MAIL_MAX = env.int("SUGGESTION_MAIL_MAX", default=5)
# members.services.send_queued_mail asks this before sending a queued mail (unsubscribed since?).
OUTGOING_MAIL_STILL_WANTED = "mailings.services.mail_still_wanted"

# Cookies and analytics (issue 10). A new COOKIE_POLICY_VERSION asks every visitor and member
# again (privacy.cookies). Google Analytics loads only with GA_MEASUREMENT_ID set and the
# visitor's consent to analytics; 24metrics is called only with its key and URL set and the
# visitor's consent to affiliate cookies (activity.partners).
COOKIE_POLICY_VERSION = env("COOKIE_POLICY_VERSION", default="2026-11")
GA_MEASUREMENT_ID = env("GA_MEASUREMENT_ID", default="")
TWENTYFOUR_METRICS_API_KEY = env("TWENTYFOUR_METRICS_API_KEY", default="")
TWENTYFOUR_METRICS_URL = env("TWENTYFOUR_METRICS_URL", default="")
TWENTYFOUR_METRICS_TIMEOUT_SECONDS = 3

# What the site records by itself (issue 10, activity). The internet provider of an IP address
# comes from an offline ASN database (GeoLite2-ASN or DB-IP ASN Lite .mmdb) when one is set.
# Full IP addresses are kept ACTIVITY_FULL_IP_DAYS, then shortened (/24 IPv4, /48 IPv6);
# log-in and session records are deleted after ACTIVITY_LOGIN_RETENTION_MONTHS, pages visited
# after ACTIVITY_PAGE_VISIT_DAYS (the anonymous daily counts stay).
ASN_DATABASE_PATH = env("ASN_DATABASE_PATH", default="")
ACTIVITY_FULL_IP_DAYS = env.int("ACTIVITY_FULL_IP_DAYS", default=30)
ACTIVITY_LOGIN_RETENTION_MONTHS = env.int("ACTIVITY_LOGIN_RETENTION_MONTHS", default=12)
ACTIVITY_PAGE_VISIT_DAYS = env.int("ACTIVITY_PAGE_VISIT_DAYS", default=90)
# Failed log-ins (member id or none, hashed IP, reason; superusers see them in admin).
ACTIVITY_FAILED_LOGIN_DAYS = env.int("ACTIVITY_FAILED_LOGIN_DAYS", default=30)
# Pages visited are buffered, not written per request (activity.page_visits): with Redis, one
# RPUSH per page (timeout in seconds; after a failure nothing is recorded for the retry
# period) and beat's flush writes PAGE_VISIT_FLUSH_CHUNK records per transaction; without
# Redis (make run) the process writes every PAGE_VISIT_BUFFER_RECORDS records or
# PAGE_VISIT_BUFFER_SECONDS seconds.
PAGE_VISIT_FLUSH_CHUNK = env.int("PAGE_VISIT_FLUSH_CHUNK", default=1000)
PAGE_VISIT_BUFFER_RECORDS = env.int("PAGE_VISIT_BUFFER_RECORDS", default=100)
PAGE_VISIT_BUFFER_SECONDS = env.int("PAGE_VISIT_BUFFER_SECONDS", default=30)
PAGE_VISIT_REDIS_TIMEOUT_SECONDS = 0.25
PAGE_VISIT_REDIS_RETRY_SECONDS = 10

# Anonymised statistics (issue 10, stats): no shown cell counts fewer than this many people.
STATS_MIN_CELL = env.int("STATS_MIN_CELL", default=10)

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploads bigger than FILE_UPLOAD_MAX_MEMORY_SIZE are written here while the request runs
# (empty: the system's temporary directory). docker-compose shares it between web and worker,
# whose beat task deletes what a killed request left (config.uploads).
FILE_UPLOAD_TEMP_DIR = env("FILE_UPLOAD_TEMP_DIR", default=None)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Members' photos: no base URL, never served from a public path.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT / "private"), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- Mail ------------------------------------------------------------------------------------
# The console backend (mail on stdout, confirmation and reset links in the log) is the default
# of `make run` only: production refuses to start with it.
_CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default=_CONSOLE_EMAIL_BACKEND
    if not env("EMAIL_URL", default="")
    else "django.core.mail.backends.smtp.EmailBackend",
)
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
# Production mail through a provider's API with django-anymail: MAIL_PROVIDER names its backend
# ("postmark", "mailgun", "amazon_ses", "brevo", ...). Every ANYMAIL_<NAME> variable becomes
# the anymail setting <NAME> (ANYMAIL_POSTMARK_SERVER_TOKEN, ANYMAIL_MAILGUN_API_KEY,
# ANYMAIL_WEBHOOK_SECRET "user:password", ...). Bounces and complaints arrive at
# /anymail/<provider>/tracking/. Without MAIL_PROVIDER: SMTP (EMAIL_URL) or the console.
MAIL_PROVIDER = env("MAIL_PROVIDER", default="")
if MAIL_PROVIDER:
    EMAIL_BACKEND = f"anymail.backends.{MAIL_PROVIDER}.EmailBackend"
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and value
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
DPO_EMAIL = env("DPO_EMAIL", default="privacy@example.nl")
DPO_NAME = env("DPO_NAME", default="Functionaris voor de gegevensbescherming")
HELPDESK_EMAIL = env("HELPDESK_EMAIL", default="helpdesk@example.nl")

# --- What production refuses to start without -----------------------------------------------


def _refuse_unsafe_production() -> None:
    missing = []
    if not SECRET_KEY:
        missing.append("SECRET_KEY")
    if not FIELD_ENCRYPTION_KEYS:
        missing.append("FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys)")
    if EMAIL_BACKEND == _CONSOLE_EMAIL_BACKEND:
        missing.append(
            "a mail configuration (EMAIL_URL, MAIL_PROVIDER or a non-console EMAIL_BACKEND)"
        )
    if not MOLLIE_API_KEY and not PAYMENTS_STAND_IN:
        missing.append("MOLLIE_API_KEY (or PAYMENTS_STAND_IN=1 for a staging site)")
    if missing:
        raise ImproperlyConfigured(
            "DEBUG=0 refuses to start without: "
            + "; ".join(missing)
            + ". See the README's settings (DEBUG=1 is for local development only)."
        )


if PRODUCTION and not BUILD_STEP:
    _refuse_unsafe_production()

# --- Security --------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("SECURE_PROXY_SSL_HEADER", default=False)
    else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not (DEBUG or TESTING))
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if (DEBUG or TESTING) else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not (DEBUG or TESTING)
CSRF_COOKIE_SECURE = not (DEBUG or TESTING)
LANGUAGE_COOKIE_SECURE = not (DEBUG or TESTING)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# --- Logging: no personal data in log lines --------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "members.logging.ScrubPersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
