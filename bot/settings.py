"""One settings object, read once from the environment (or `.env`) and passed down.

Nothing else in the code reads `os.environ`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = {"", "changeme", "change-me", "changethis", "secret", "placeholder", "xxx", "test", "your-api-key"}
BUNDLED_SHOP = Path(__file__).with_name("demo_shop.toml")


class ConfigError(ValueError):
    """Settings that cannot run; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    barberbot_env: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///./var/barberbot.db"
    redis_url: str | None = None
    queue_path: str = "./var/queue.db"
    shop_file: str | None = None

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_whatsapp_from: str | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    public_base_url: str | None = None
    api_key: SecretStr | None = None

    reminder_interval_seconds: int = Field(7200, ge=1)
    reminder_max_attempts: int = Field(5, ge=1, le=20)
    reminder_retry_delay_seconds: float = Field(5, ge=0)
    reminder_retry_backoff: float = Field(5, ge=1)
    send_rate_per_second: float = Field(1, ge=0)  # 0 = no limit
    whatsapp_reminder_content_sid: str | None = None

    reconcile_interval_seconds: int = Field(60, ge=1)
    # overdue this long with no send: the reconciler enqueues it again (default: min(interval, 60 s))
    reconcile_grace_seconds: float | None = Field(None, ge=0)
    # claimed ("sending") this long: the worker is presumed dead (default: max(30 s, 2 × grace))
    reminder_stuck_after_seconds: float | None = Field(None, ge=1)
    conversation_ttl_seconds: int = Field(1800, ge=1)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.barberbot_env != "production":
            return self
        missing = []
        for name in ("twilio_auth_token", "api_key"):
            value = getattr(self, name)
            if value is None or value.get_secret_value().strip().lower() in PLACEHOLDERS:
                missing.append(name.upper())
        if not self.public_base_url:
            missing.append("PUBLIC_BASE_URL")
        if not self.twilio_account_sid or self.twilio_account_sid.strip().lower() in PLACEHOLDERS:
            missing.append("TWILIO_ACCOUNT_SID")
        if missing:
            raise ValueError(
                "BARBERBOT_ENV=production needs real values for " + ", ".join(missing)
            )
        return self

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def shop_path(self) -> Path:
        if self.shop_file:
            return Path(self.shop_file)
        local = Path("shop.toml")
        return local if local.exists() else BUNDLED_SHOP

    @property
    def auth_token(self) -> str:
        return self.twilio_auth_token.get_secret_value() if self.twilio_auth_token else ""


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; raise ConfigError with one clear line."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"]).upper()
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}" if loc else msg)
        raise ConfigError("configuration error: " + "; ".join(parts)) from exc
