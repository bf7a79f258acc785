"""ASGI entry point for `barberbot serve --workers N` (each server process builds its own services)."""

from __future__ import annotations

from bot.app import create_app
from bot.logs import configure_logging
from bot.services import build_services
from bot.settings import load_settings

_settings = load_settings()
configure_logging(_settings)
app = create_app(build_services(_settings))
