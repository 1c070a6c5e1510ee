"""Configuration from the environment, with safe defaults for the embedded database."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{BASE_DIR / 'instance' / 'prevent.db'}"
    # Hosting platforms often hand out postgres:// URLs; SQLAlchemy wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Production-minded defaults; every value can be set from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    #: Name shown in the masthead and on printed pages.
    SERVICE_NAME = os.environ.get("SERVICE_NAME", "Prevent partnership tracker")
    #: Marking printed on pages and PDFs unless a document says otherwise.
    DEFAULT_MARKING = os.environ.get("DEFAULT_MARKING", "OFFICIAL")

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "prevent_session"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    #: A signed-in session ends after this long without a request.
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 60)
    #: ... and this long after signing in, however active (counted from the sign-in time kept in
    #: the signed session, core.auth).
    SESSION_MAX_HOURS = _int("SESSION_MAX_HOURS", 12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_MAX_HOURS)
    #: Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (Werkzeug's
    #: ProxyFix): the client's address is then the one the nearest of them saw. 0 trusts none.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    WTF_CSRF_TIME_LIMIT = None  # the session's own lifetime bounds the token
    #: Failed sign-ins before an account is locked, and for how long.
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = _int("LOGIN_LOCK_MINUTES", 15)
    #: Those limits count one email from one address; this slower one counts it from every address.
    LOGIN_ACCOUNT_MAX_FAILURES = _int("LOGIN_ACCOUNT_MAX_FAILURES", 50)
    LOGIN_ACCOUNT_LOCK_MINUTES = _int("LOGIN_ACCOUNT_LOCK_MINUTES", 60)
    #: Two-factor authentication (TOTP) is required for the Prevent Lead, the Channel Panel chair
    #: and members and auditors; set this to require it of every account.
    TWO_FACTOR_FOR_EVERYONE = _bool("TWO_FACTOR_FOR_EVERYONE", False)
    #: A Channel personal record asks for a new code when the last one is older than this.
    TWO_FACTOR_FRESH_MINUTES = _int("TWO_FACTOR_FRESH_MINUTES", 15)
    #: Encrypts TOTP secrets in the database (a Fernet key: `python3 -c "from cryptography.fernet
    #: import Fernet; print(Fernet.generate_key().decode())"`). Empty: derived from SECRET_KEY.
    TWO_FACTOR_KEY = os.environ.get("TWO_FACTOR_KEY", "")
    #: `flask demo-code EMAIL` prints the current code of a demo account (never in production).
    DEMO_TWO_FACTOR_CODES = False
    #: How long a password reset link works.
    PASSWORD_RESET_MINUTES = _int("PASSWORD_RESET_MINUTES", 30)
    PASSWORD_MIN_LENGTH = _int("PASSWORD_MIN_LENGTH", 12)

    #: Uploaded evidence lives here (outside the web root) unless object storage is configured.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(BASE_DIR / "instance" / "uploads"))
    MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 20) * 1024 * 1024
    #: "local" keeps files in UPLOAD_FOLDER; "s3" keeps them in an S3-compatible bucket, which
    #: several app servers can share.
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    #: Empty for AWS itself; the service's URL for MinIO, Ceph and other S3-compatible stores.
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
    S3_REGION = os.environ.get("S3_REGION", "eu-west-2")
    #: Empty to let boto3 find credentials itself (an instance role, ~/.aws).
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")

    #: When set, `flask backup` encrypts the archive with it (AES-256-GCM) and `flask restore`
    #: needs it: 32 random bytes in URL-safe base64 (see README, Backup and restore).
    BACKUP_KEY = os.environ.get("BACKUP_KEY", "")

    #: Outgoing email for reminders. Without SMTP_HOST nothing is sent and each reminder is
    #: logged as failed ("email is not configured"), to be retried once it is.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _int("SMTP_PORT", 587)
    #: Upgrade the connection with STARTTLS before signing in (the relay must offer it).
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", True)
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    #: A CA bundle to trust for STARTTLS (an internal relay's own CA); empty for the system's.
    SMTP_CA_FILE = os.environ.get("SMTP_CA_FILE", "")
    SMTP_TIMEOUT = _int("SMTP_TIMEOUT", 30)
    MAIL_FROM = os.environ.get("MAIL_FROM", "")
    #: The address users reach the service on, for links in emails.
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000")

    #: Single sign-on: a JSON list of OpenID Connect providers, each with name, label, issuer,
    #: client_id, client_secret and the email domains it serves (README, Sign-in). Empty: passwords only.
    OIDC_PROVIDERS = os.environ.get("OIDC_PROVIDERS", "")

    #: Send Strict-Transport-Security (only behind HTTPS).
    HSTS = _bool("HSTS", True)
    PAGE_SIZE = _int("PAGE_SIZE", 50)
    #: The domain packages the app is composed of, lowest layer first: each offers register(app,
    #: parts) (see core/registry.py). The kernel (core/) imports none of them.
    PACKAGES = ("partnership", "spoc", "plans", "training", "channel_panel", "board", "region", "compliance")
    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    """Local use over plain HTTP on 127.0.0.1 (what `make run` starts)."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-key-not-for-production")
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    HSTS = _bool("HSTS", False)
    DEMO_TWO_FACTOR_CODES = _bool("DEMO_TWO_FACTOR_CODES", True)


class TestConfig(Config):
    """The test suite: a database named by TEST_DATABASE_URL, or a SQLite file per run."""

    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only  # nosec B105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    HSTS = False
    # Uploads go to a temporary folder (conftest), whatever the environment says.
    STORAGE_BACKEND = "local"
    # Reminder tests start their own SMTP server on loopback and point the app at it.
    SMTP_HOST = ""
    MAIL_FROM = "reminders@prevent.example"
    # Forms are tested without tokens; tests/core/test_security.py turns CSRF back on.
    WTF_CSRF_ENABLED = False
    # Passwords only, whatever the environment says; the single sign-on tests configure providers.
    OIDC_PROVIDERS = ""
    # Fast hashing keeps the suite quick; production uses argon2's defaults.
    ARGON2_FAST = True


CONFIGS = {
    "production": Config,
    "development": DevelopmentConfig,
    "test": TestConfig,
}
