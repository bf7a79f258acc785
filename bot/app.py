"""The Starlette application: REST API, Twilio webhooks, health and schema endpoints."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.api import Api, error
from bot.logs import RequestIdMiddleware
from bot.metrics import http_metrics_middleware, metrics_routes
from bot.openapi import openapi_schema
from bot.outbox_view import message_routes
from bot.services import Services
from webhooks import routes as webhook_routes

log = logging.getLogger(__name__)


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

    routes: list[Any] = [
        *webhook_routes(services),
        Route("/healthz", healthz), Route("/readyz", readyz), Route("/openapi.json", openapi),
        *api.routes(),
    ]
    routes.extend([*metrics_routes(services), *message_routes(services)])
    middleware = [Middleware(RequestIdMiddleware), http_metrics_middleware(services)]
    for extra in services.extras.get("routes", []):
        routes.append(extra)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error(exc.status_code, code, str(exc.detail))

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error(500, "internal_error", "something went wrong on our side")

    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.services = services
    return app
