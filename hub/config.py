"""Configuration, read from the environment once at start-up.

Every setting has a safe development default except SECRET_KEY in production, which must be
set: a generated key would sign sessions that die with the process and differ between workers.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None


def normalise_database_url(url: str) -> str:
    """Accept the URLs hosting platforms hand out and pin the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(database_url: str) -> dict:
    options: dict = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        # Random reads cost about what sequential ones do on SSD storage (PostgreSQL's default
        # of 4 assumes spinning disks). Without this the planner scans every case to list an
        # agency's few: 27 ms instead of 4 ms at 100,000 cases (bench/bench_permissions.py).
        cost = os.environ.get("PG_RANDOM_PAGE_COST", "1.1")
        # JIT compiles any statement the planner costs above jit_above_cost. The dashboard's
        # period figures cost that much on paper and run in tens of milliseconds, so the
        # compiling took longer than the query: 1.5 s of a 2.3 s statement at 36 months
        # (bench/bench_analytics.py). Nothing the hub runs is long enough to gain from it.
        # The session's clock is UTC, as the hub stores times: the driver then marks each
        # time it reads with UTC itself, which the columns' own conversion passes through.
        options["connect_args"] = {
            "options": f"-c random_page_cost={cost} -c jit=off -c timezone=UTC"
        }
    return options


def _secret_key(instance_path: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError(
            "SECRET_KEY is not set. In production the hub will not start without it: set "
            "SECRET_KEY to a long random value (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))') shared by every web worker and the scheduler."
        )
    # Development keeps one key in the instance folder so sign-ins survive a restart.
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_config(instance_path: str) -> dict:
    instance = Path(instance_path)
    env = os.environ.get("HUB_ENV", "development").strip().lower()
    if env not in {"development", "production", "test"}:
        raise ConfigError(f"HUB_ENV must be development, production or test, not {env!r}.")
    production = env == "production"
    default_db = f"sqlite:///{instance / 'hub.sqlite3'}"
    database_url = normalise_database_url(os.environ.get("DATABASE_URL", default_db))
    return {
        "HUB_ENV": env,
        "SECRET_KEY": _secret_key(instance, production),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        # Requests over 1 MB are refused with 413 before any view runs.
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024),
        # police.uk uploads: a large force's monthly street file runs to several megabytes.
        "POLICE_UK_UPLOAD_MAX_BYTES": _int("POLICE_UK_UPLOAD_MAX_BYTES", 50 * 1024 * 1024),
        # Evidence uploaded on a case: kept in this directory (outside the web root; the
        # store refuses one inside it), each file at most EVIDENCE_MAX_BYTES. A request may
        # carry one such file and its form.
        "EVIDENCE_DIR": os.environ.get("EVIDENCE_DIR", str(instance / "evidence")),
        "EVIDENCE_MAX_BYTES": _int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024),
        "EVIDENCE_REQUEST_MAX_BYTES": _int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024) + 256 * 1024,
        # Map tiles for the hotspot map, e.g. https://tile.example.org/{z}/{x}/{y}.png; with
        # none the map shows the cells alone, beside the ranked list and the grid.
        "MAP_TILE_URL": os.environ.get("MAP_TILE_URL", ""),
        "MAP_TILE_ATTRIBUTION": os.environ.get("MAP_TILE_ATTRIBUTION", ""),
        # The audit chain's signed checkpoints live outside the database; their key too.
        "AUDIT_CHECKPOINT_FILE": os.environ.get(
            "AUDIT_CHECKPOINT_FILE", str(instance / "audit-checkpoints.jsonl")
        ),
        "AUDIT_CHECKPOINT_KEY": os.environ.get("AUDIT_CHECKPOINT_KEY", ""),
        "HUB_TIMEZONE": "Europe/London",
        # Sessions: signed cookie, HTTP only, SameSite=Lax; Secure unless explicitly off for
        # plain-http development on localhost.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_NAME": "focus_hub_session",
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "IDLE_TIMEOUT": timedelta(minutes=_int("IDLE_TIMEOUT_MINUTES", 30)),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_int("SESSION_MAX_HOURS", 12)),
        # Lockout: this many failed sign-ins for one email within the window locks it.
        "LOCKOUT_THRESHOLD": _int("LOCKOUT_THRESHOLD", 5),
        "LOCKOUT_MINUTES": _int("LOCKOUT_MINUTES", 15),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Several workers must share counters: use Redis (redis://host:6379) in production.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "focus-hub"),
        # How many proxies in front of the hub to believe about the client's address
        # (X-Forwarded-For) and scheme (X-Forwarded-Proto). 0 believes none: behind a proxy
        # every person would otherwise share the proxy's address and one sign-in limit.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SIGN_IN_RATE_LIMIT": os.environ.get("SIGN_IN_RATE_LIMIT", "20 per minute"),
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "300 per minute"),
        # Mail: SMTP in production; in development messages are written to the log.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT", 587),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "focus-hub@localhost"),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        # The scheduler runs in-process for the single-machine default; production runs
        # `flask hub scheduler` as its own process and sets this off for web workers.
        "SCHEDULER_IN_PROCESS": _bool("SCHEDULER_IN_PROCESS", not production),
        # flask-smorest / OpenAPI
        "API_TITLE": "Focus Hub API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
