"""The operator's files stay in step with the code: every setting is in .env.example and the quick reference."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cli import build_parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SPEC_VARIABLES = {
    "BARBERBOT_ENV", "DATABASE_URL", "REDIS_URL", "SHOP_FILE", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
    "TWILIO_WHATSAPP_FROM", "TWILIO_API_BASE_URL", "PUBLIC_BASE_URL", "API_KEY",
    "REMINDER_INTERVAL_SECONDS", "REMINDER_MAX_ATTEMPTS", "REMINDER_RETRY_DELAY_SECONDS",
    "REMINDER_RETRY_BACKOFF", "SEND_RATE_PER_SECOND", "WHATSAPP_REMINDER_CONTENT_SID",
}


def settings_variables() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def test_env_example_names_every_setting_and_every_spec_variable() -> None:
    text = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.M))
    assert settings_variables() | SPEC_VARIABLES <= named


def test_env_example_holds_no_secret_values() -> None:
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        assert name in ("BARBERBOT_ENV",), f"{name} should stay commented out (its default holds)"
        assert value in ("development", "production")


def test_quick_reference_lists_every_setting_and_command() -> None:
    text = (ROOT / "docs" / "quick-reference.md").read_text()
    for name in settings_variables() | SPEC_VARIABLES:
        assert f"`{name}`" in text, name
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for command in commands:
        assert f"barberbot {command}" in text, command
