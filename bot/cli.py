"""`barberbot` — the command line. User mistakes print one clear line and exit non-zero."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Sequence
from typing import Any

from bot.settings import ConfigError, Settings, load_settings
from bot.shop import ShopFileError

log = logging.getLogger("barberbot")


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


def _settings() -> Settings:
    return load_settings()


def _setup_logging(settings: Settings) -> None:
    from bot.logs import configure_logging

    configure_logging(settings)


def _prepare(settings: Settings, *, load_shop_file: bool = True) -> None:
    """Apply migrations and load the shop file: what `run` does before serving."""
    from bot.clock import system_clock
    from bot.db import Database, upgrade
    from bot.shop_store import load_shop, read_shop_file

    # Validate the shop file first: a bad file stops us before we touch the database.
    shop = read_shop_file(settings.shop_path) if load_shop_file else None
    _step(f"applying migrations to {_redact(settings.database_url)}")
    upgrade(settings.database_url)
    if shop is not None:
        path = settings.shop_path
        db = Database(settings.database_url)
        try:
            changed = load_shop(db, shop, now=system_clock())
        finally:
            db.dispose()
        _step(f"shop '{shop.name}' from {path}: {'loaded' if changed else 'unchanged'}")


def _step(text: str) -> None:
    print(f"barberbot: {text}", file=sys.stderr, flush=True)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL we cannot parse is shown as a kind only
        return url.split(":", 1)[0]


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = _settings()
    _prepare(settings, load_shop_file=False)
    _step("database is up to date")
    return 0


def cmd_shop_load(args: argparse.Namespace) -> int:
    from bot.clock import system_clock
    from bot.db import Database, upgrade
    from bot.shop_store import load_shop, read_shop_file

    settings = _settings()
    shop = read_shop_file(args.file)  # validate before touching the database
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        changed = load_shop(db, shop, now=system_clock())
    finally:
        db.dispose()
    print(f"shop '{shop.name}': {len(shop.services)} services, {len(shop.barbers)} barbers "
          f"({'loaded' if changed else 'already up to date'})")
    return 0


def _serve(settings: Settings, host: str, port: int, *, workers: int, inprocess_worker: bool) -> int:
    import uvicorn

    if workers > 1:
        if inprocess_worker:
            raise UserError("--workers > 1 needs `barberbot serve` with separate `barberbot worker` processes")
        uvicorn.run("bot.asgi:app", host=host, port=port, workers=workers, log_level="warning",
                    proxy_headers=True, access_log=False)
        return 0
    from bot.app import create_app
    from bot.services import build_services

    services = build_services(settings)
    stop = None
    if inprocess_worker:
        from tasks.runtime import start_inprocess_worker

        stop = start_inprocess_worker(services)
    app = create_app(services)
    _step(f"serving on http://{host}:{port} (webhook /webhooks/twilio, API /api, docs /openapi.json)")
    if not settings.api_key:
        _step("API_KEY is not set: the API is open (development only)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=True)
    finally:
        if stop is not None:
            stop()
        services.db.dispose()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    _setup_logging(settings)
    _prepare(settings)
    return _serve(settings, args.host, args.port, workers=1, inprocess_worker=True)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings()
    _setup_logging(settings)
    return _serve(settings, args.host, args.port, workers=args.workers, inprocess_worker=False)


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _settings()
    _setup_logging(settings)
    from bot.services import build_services
    from tasks.runtime import run_worker

    services = build_services(settings)
    _step(f"worker started ({args.workers} threads, periodic tasks {'on' if args.periodic else 'off'})")
    run_worker(services, workers=args.workers, periodic=args.periodic)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import run_chat

    return int(run_chat(_settings(), phone=args.phone, url=args.url, wait=args.wait, name=args.name) or 0)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="barberbot", description="A barbershop's WhatsApp assistant.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("run", help="webhook + API + in-process reminder worker (development)")
    r.add_argument("--host", default="127.0.0.1")
    r.add_argument("--port", type=int, default=8000)
    r.set_defaults(func=cmd_run)

    s = sub.add_parser("serve", help="webhook + API only (production)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1, help="server processes")
    s.set_defaults(func=cmd_serve)

    w = sub.add_parser("worker", help="the reminder worker (Huey consumer)")
    w.add_argument("--workers", type=int, default=4, help="worker threads")
    w.add_argument("--no-periodic", dest="periodic", action="store_false",
                   help="do not run the reconciler here (any number may run it: a lock in the queue lets one round through per interval)")
    w.set_defaults(func=cmd_worker)

    d = sub.add_parser("db", help="database commands")
    dsub = d.add_subparsers(dest="db_command", metavar="SUBCOMMAND")
    up = dsub.add_parser("upgrade", help="apply migrations")
    up.set_defaults(func=cmd_db_upgrade)

    sh = sub.add_parser("shop", help="shop file commands")
    shsub = sh.add_subparsers(dest="shop_command", metavar="SUBCOMMAND")
    ld = shsub.add_parser("load", help="validate and load a shop file (idempotent)")
    ld.add_argument("file")
    ld.set_defaults(func=cmd_shop_load)

    c = sub.add_parser("chat", help="chat with the running bot as a customer or barber")
    c.add_argument("--from", dest="phone", required=True, help="your number, E.164 (+447700900123)")
    c.add_argument("--url", default=None, help="the bot's base URL (default http://127.0.0.1:8000)")
    c.add_argument("--name", default="Guest",
                   help="your WhatsApp profile name, as Twilio sends it (default Guest); barbers see it on bookings")
    c.add_argument("--wait", type=float, default=3.0, metavar="SECONDS",
                   help="in a pipe: how long to wait for the worker's messages after the last line")
    c.set_defaults(func=cmd_chat)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Any = getattr(args, "func", None)
    if func is None:
        # `barberbot`, `barberbot db`, `barberbot shop` alone: show the relevant help, and fail
        with contextlib.suppress(SystemExit):
            parser.parse_args([*(sys.argv[1:] if argv is None else argv), "--help"])
        return 2
    try:
        return int(func(args) or 0)
    except ShopFileError as exc:
        print("barberbot: shop file error: " + "; ".join(exc.problems), file=sys.stderr)
    except ConfigError as exc:
        print(f"barberbot: {exc}", file=sys.stderr)
    except UserError as exc:
        print(f"barberbot: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - an outside failure (database down...) is one line too
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            print(f"barberbot: cannot reach the database: {str(exc.orig).strip().splitlines()[0]}",
                  file=sys.stderr)
        else:
            log.debug("failed", exc_info=True)
            print(f"barberbot: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
