"""One settings module for every environment, read from environment variables.

With no variables set it runs the embedded default of `make run`: SQLite under var/, Celery
tasks in-process, mail printed to the console. Production sets DEBUG=0 and the variables in
the README's table.
"""

import os
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

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET_KEY if (DEBUG or TESTING) else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")

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
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("CACHE_URL", default=REDIS_URL),
            # Each pytest-xdist worker gets its own keys, so rate-limit tests do not collide.
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="site")
            + os.environ.get("PYTEST_XDIST_WORKER", ""),
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
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "resend-unsent-mail": {
        "task": "members.tasks.sweep_outgoing_mail",
        "schedule": 300.0,
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
        "schedule": 60.0,
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
}
# Mail rows not sent this long after they were written are picked up again by the sweep.
OUTGOING_MAIL_RETRY_AFTER_SECONDS = env.int("OUTGOING_MAIL_RETRY_AFTER_SECONDS", default=300)

# --- Accounts --------------------------------------------------------------------------------
AUTH_USER_MODEL = "members.Member"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
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
ACCOUNT_FORMS = {"signup": "members.forms.MemberSignupForm"}
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
if not FIELD_ENCRYPTION_KEYS and not (DEBUG or TESTING):
    raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys).")

# Photos (issue 3): at most this many per member, this big, this many pixels.
PHOTO_MAX_PER_MEMBER = 12
PHOTO_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
# The verified badge (issue 11): selfies a member may send per 24 hours (refused ones count).
VERIFICATION_REQUESTS_PER_DAY = env.int("VERIFICATION_REQUESTS_PER_DAY", default=3)

# Payments (issue 4). Without MOLLIE_API_KEY a built-in stand-in for Mollie's test checkout
# drives the same webhook code, so `make run` can buy credits offline.
MOLLIE_API_KEY = env("MOLLIE_API_KEY", default="")
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
CAMPAIGN_CLAIM_LEASE_SECONDS = env.int("CAMPAIGN_CLAIM_LEASE_SECONDS", default=300)
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
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
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
