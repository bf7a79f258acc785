"""The Starlette application: REST API, Twilio webhooks, health and schema endpoints."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.api import Api, error
from bot.checkpoints import Checkpointer
from bot.logs import RequestIdMiddleware
from bot.metrics import http_metrics_middleware, metrics_routes
from bot.openapi import openapi_schema
from bot.outbox_view import message_routes
from bot.services import Services
from webhooks import routes as webhook_routes

log = logging.getLogger(__name__)


TWILIO_PATH = "/webhooks/twilio"
YOUNG_COLLECTION_EVERY = 20_000  # allocations between collections of the youngest generation (Python's default: 700)
_heap_settled = False


def settle_heap() -> None:
    """Once per process, as the server starts: what is alive now (modules, the ORM's metadata, the
    shop, compiled statements and patterns) is left out of the cyclic garbage collector's full
    collections (`gc.freeze`), and the youngest generation is collected every 20,000 allocations.

    Why: every full collection walked that whole start-up heap, 53-62 ms during which the event
    loop answered nobody, and under load one came about every second. A round of 64 chat turns
    keeps its objects alive until the round commits together (webhooks.twilio.Group); young
    collections in the middle of a round promoted them, and the garbage they became in the old
    generation triggered the next full collection. bench/webhook.py at 64 connections: p99
    64-86 ms -> 36-38 ms, throughput +7% (full collections after start: ~1 a second -> 0-1 a run).
    Objects freed by reference counting (nearly all) are freed as before."""
    global _heap_settled
    if _heap_settled:
        return
    _heap_settled = True
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_COLLECTION_EVERY), middle, old)


class Shortcut:
    """Requests a route takes as they are (an ASGI endpoint, no path parameters) go straight to it.

    Inside the request-id and metrics middleware, so those see every request alike; the router and
    Starlette's ExceptionMiddleware are skipped, which the endpoint does not need: it answers every
    request itself and raises no HTTPException (anything else it raises goes on to
    ServerErrorMiddleware, as it would have). The scope gets what the router would have set.
    What it saves: 3.6 us a webhook request. The whole ASGI stack around the webhook (Starlette's
    and ours) cost 14.5 us a request; 6.3 us with this, cheaper request ids and cached metric
    children (bot.logs, bot.metrics).
    """

    def __init__(self, app: ASGIApp, routes: list[Route]) -> None:
        self.app = app
        self.routes = {(route.path, method): route for route in routes for method in route.methods or ()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            route = self.routes.get((scope["path"], scope["method"]))
            if route is not None:
                scope.setdefault("router", scope["app"].router)
                scope["route"] = route
                scope["endpoint"] = route.endpoint
                scope["path_params"] = dict(scope.get("path_params", {}))
                await route.app(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(services: Services) -> Starlette:
    api = Api(services)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        checks: dict[str, str] = {}
        ok = True
        try:
            await run_in_threadpool(services.db.ping)
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["database"] = f"error: {type(exc).__name__}"
            ok = False
        ping = getattr(services.dispatcher, "ping", None)
        if ping is not None:
            try:
                await run_in_threadpool(ping)
                checks["queue"] = "ok"
            except Exception as exc:  # noqa: BLE001
                checks["queue"] = f"error: {type(exc).__name__}"
                ok = False
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                            status_code=200 if ok else 503)

    schema = openapi_schema()

    async def openapi(request: Request) -> Response:
        return JSONResponse(schema)

    # the webhook first: the router tries routes in order, and it takes nearly every request
    hooks = webhook_routes(services)
    routes: list[Any] = [
        *hooks,
        Route("/healthz", healthz), Route("/readyz", readyz), Route("/openapi.json", openapi),
        *api.routes(),
    ]
    routes.extend([*metrics_routes(services), *message_routes(services)])
    middleware = [Middleware(RequestIdMiddleware), http_metrics_middleware(services),
                  Middleware(Shortcut, routes=[r for r in hooks if r.path == TWILIO_PATH])]
    for extra in services.extras.get("routes", []):
        routes.append(extra)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error(exc.status_code, code, str(exc.detail))

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error(500, "internal_error", "something went wrong on our side")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        settle_heap()
        checkpointer = Checkpointer.for_database(services.db)  # SQLite: checkpoints off the event loop
        if checkpointer is not None:
            checkpointer.start()
        try:
            yield
        finally:
            if checkpointer is not None:
                checkpointer.stop()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.services = services
    return app
