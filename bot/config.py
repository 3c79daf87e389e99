"""Settings: every knob Doorstep reads from the environment or a ``.env`` file."""

from __future__ import annotations

import re
from datetime import time
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_EMERGENCY_WORDS = (
    "gas",
    "gas leak",
    "smell gas",
    "fire",
    "smoke",
    "flood",
    "flooding",
    "sparks",
    "sparking",
    "electric shock",
    "no heating",
    "no heat",
    "no hot water",
    "carbon monoxide",
    "ceiling collapse",
    "nwy",
    "tân",
    "llifogydd",
)

OFFICIAL_API_BASE_URL = "https://api.telegram.org/bot"
# The longest quiet period before a resolved report closes by itself (days).
RESOLVED_CLOSE_DAYS_MAX = 90
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# Telegram's rule for a webhook's secret_token.
_WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Plain http is for a webhook on this machine only (tests against the sandbox, or a
# self-hosted Bot API server beside Doorstep); anything else must be https.
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Paths the web server already serves, which the webhook must not take over.
_RESERVED_PATHS = frozenset({"/healthz", "/metrics"})


class Settings(BaseSettings):
    """Doorstep configuration, validated at start-up."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str | None = None
    telegram_api_base_url: str = OFFICIAL_API_BASE_URL
    telegram_api_file_url: str | None = None
    database_url: str = "sqlite+aiosqlite:///./data/doorstep.sqlite3"
    association_name: str = "Your Housing Association"
    emergency_contacts: str = Field(
        min_length=1,
        default=(
            "Emergency services: 999. Gas leak: National Gas Emergency Service 0800 111 999. "
            "Out-of-hours repairs: call your housing association's emergency line."
        ),
    )
    emergency_words: Annotated[tuple[str, ...], NoDecode] = DEFAULT_EMERGENCY_WORDS
    timezone: str = "Europe/London"
    bank_holiday_region: Literal["england-and-wales", "scotland", "northern-ireland"] = (
        "england-and-wales"
    )
    default_language: Literal["en", "cy"] = "en"
    # Closed feedback is anonymised this many months after closing; complaints are kept
    # longer, on their own lawful basis (the Code requires their full record). Admins can
    # change these, the name, contacts, quiet hours, region, homes and the quiet period
    # before a resolved report closes on the dashboard.
    retention_months: int = Field(default=24, ge=1, le=600)
    complaint_retention_months: int = Field(default=72, ge=1, le=600)
    # A resolved report closes by itself this many calendar days after it was resolved,
    # unless the resident says it is not sorted; closing starts its retention period.
    resolved_close_days: int = Field(default=14, ge=1, le=RESOLVED_CLOSE_DAYS_MAX)
    # The number of homes the association manages (CH01: complaints per 1,000 homes).
    homes: int | None = Field(default=None, ge=1)
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    # The dashboard is reached over HTTPS (directly or through a TLS-terminating proxy):
    # cookies get Secure and the __Host- prefix, and HSTS is sent.
    web_https: bool = False
    # Reverse proxies in front of the dashboard (addresses or networks, comma-separated).
    # A request from one of them is attributed to the address it names in
    # X-Forwarded-For, so login throttling counts people, not the proxy.
    web_trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    conversation_idle_days: int = Field(default=30, ge=1)
    # Staff and the delivery engine.
    staff_invite_days: int = Field(default=7, ge=1, le=90)
    staff_chat_id: int | None = None
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)
    delivery_rate: float = Field(default=30.0, gt=0, le=1000)
    # Rows claimed at once: enough to keep the send budget fed for a second at 30/s while
    # the next claim is slow (with 16, a new database connection's first claim left gaps
    # of 100-200 ms at the start of a broadcast: 24.8 msg/s in its first 5 s, bench/broadcast.py).
    delivery_concurrency: int = Field(default=32, ge=1, le=64)
    delivery_max_attempts: int = Field(default=6, ge=1, le=50)
    # How long a worker's claim on a row holds without renewal (a crashed worker's rows
    # are sent again this long after the crash; renewed every third of it), the retry
    # delay after a network error (doubling per attempt up to the cap), and how often an
    # idle worker looks for rows.
    delivery_lease_seconds: float = Field(default=6.0, gt=0, le=3600)
    delivery_backoff_seconds: float = Field(default=2.0, gt=0, le=3600)
    delivery_backoff_cap_seconds: float = Field(default=300.0, gt=0, le=86400)
    delivery_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    schedule_grace_hours: float = Field(default=6.0, ge=0, le=168)
    # Webhook mode (instead of long polling) when WEBHOOK_URL is set; see README.
    webhook_url: str | None = None
    webhook_secret: str | None = Field(default=None, repr=False)
    webhook_path: str | None = None
    webhook_max_connections: int = Field(default=40, ge=1, le=100)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not _TOKEN_RE.match(value):
            raise ValueError("does not look like a bot token (digits, a colon, then letters)")
        return value

    @field_validator(
        "staff_chat_id", "homes", "webhook_url", "webhook_secret", "webhook_path", mode="before"
    )
    @classmethod
    def _none_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            host = parts.hostname
            parts.port  # noqa: B018 (raises ValueError on a malformed port)
        except ValueError:
            raise ValueError("is not a valid URL") from None
        if parts.scheme not in ("http", "https") or not host:
            raise ValueError(
                "must be an https:// URL, e.g. https://bot.example.org/telegram/webhook"
            )
        if parts.scheme == "http" and host not in _LOCAL_HOSTS:
            raise ValueError("must use https:// (http:// only for 127.0.0.1 or localhost)")
        if parts.fragment:
            raise ValueError("must not have a #fragment")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str | None) -> str | None:
        if value is not None and not _WEBHOOK_SECRET_RE.match(value):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _webhook_path(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith("/") or any(c in value for c in "?# "):
            raise ValueError("must be a path starting with /, e.g. /telegram/webhook")
        if value.rstrip("/") in _RESERVED_PATHS:
            raise ValueError(f"{value} is already used by the web server")
        return value

    @field_validator("telegram_api_base_url", mode="before")
    @classmethod
    def _default_when_empty(cls, value: object) -> object:
        return OFFICIAL_API_BASE_URL if value in (None, "") else value

    @field_validator("telegram_api_base_url", "telegram_api_file_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite://"):
            value = "sqlite+aiosqlite://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("emergency_words", mode="before")
    @classmethod
    def _split_words(cls, value: object) -> object:
        if isinstance(value, str):
            words = tuple(w.strip() for w in value.split(",") if w.strip())
            if not words:
                raise ValueError("needs at least one word (comma-separated)")
            return words
        return value

    @field_validator("web_trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(ip_network(part.strip()) for part in value.split(",") if part.strip())
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.webhook_url is None:
            return self
        if self.webhook_secret is None:
            # A secret made up at start-up would differ per replica, and each replica's
            # setWebhook would lock the others out: it must be set, the same everywhere.
            raise ValueError(
                "WEBHOOK_SECRET: required when WEBHOOK_URL is set (the same on every replica; "
                "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if self.webhook_path is None:
            path = urlsplit(self.webhook_url).path or "/"
            if path.rstrip("/") in _RESERVED_PATHS:
                raise ValueError(f"WEBHOOK_URL: its path {path} is already used by the web server")
            self.webhook_path = path
        return self

    @model_validator(mode="after")
    def _complaints_kept_longer(self) -> Settings:
        if self.complaint_retention_months < self.retention_months:
            raise ValueError(
                "COMPLAINT_RETENTION_MONTHS: must be at least RETENTION_MONTHS (complaints "
                "are kept at least as long as other closed reports)"
            )
        return self

    @model_validator(mode="after")
    def _derive_file_url(self) -> Settings:
        if not self.telegram_api_file_url:
            base = self.telegram_api_base_url
            self.telegram_api_file_url = (
                base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"
            )
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        """The association's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def file_url(self) -> str:
        """The base URL for file downloads (never None after validation)."""
        assert self.telegram_api_file_url is not None
        return self.telegram_api_file_url

    @property
    def webhook_mode(self) -> bool:
        """Whether updates arrive by webhook (WEBHOOK_URL set) rather than long polling."""
        return self.webhook_url is not None

    def sqlite_path(self) -> Path | None:
        """The SQLite file path when the database is SQLite, else None."""
        if not self.database_url.startswith("sqlite"):
            return None
        path = self.database_url.split(":///", 1)[1]
        return None if path in ("", ":memory:") else Path(path)


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


def describe_validation_error(exc: ValidationError) -> str:
    """Turn pydantic's report into one line naming the setting at fault."""
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not first["loc"]:
        # A rule across settings: its message starts with the setting to fix.
        return f"Configuration error: {message}"
    name = str(first["loc"][0]).upper()
    return f"Configuration error: {name}: {message}"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; raise ConfigError with one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
