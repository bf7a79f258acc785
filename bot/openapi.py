"""The API's OpenAPI 3.1 document, built from the same pydantic models the handlers use."""

from __future__ import annotations

from typing import Any

from bot.api import BookingCreate, BookingPatch


def _err(desc: str) -> dict[str, Any]:
    return {"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi_schema() -> dict[str, Any]:
    booking = {"$ref": "#/components/schemas/Booking"}
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1,
                                                                           "maximum": 2**31 - 1}}
    common = {"401": _err("missing or wrong bearer token"), "404": _err("no such booking")}
    ok_booking = {"description": "the booking", "content": {"application/json": {"schema": booking}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "barberbot", "version": "0.1.0"},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "BookingCreate": BookingCreate.model_json_schema(),
                "BookingPatch": BookingPatch.model_json_schema(),
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"}}}},
                },
                "Booking": {
                    "type": "object",
                    "required": ["id", "code", "status", "customer_phone", "service", "barber", "start", "end",
                                 "created_at", "updated_at"],
                    "properties": {
                        "id": {"type": "integer"}, "code": {"type": "string"},
                        "status": {"type": "string", "enum": ["confirmed", "cancelled", "completed", "no_show"]},
                        "customer_phone": {"type": "string"}, "customer_name": {"type": ["string", "null"]},
                        "guest_name": {"type": ["string", "null"]},
                        "service": {"type": "string"}, "barber": {"type": "string"},
                        "start": {"type": "string", "format": "date-time"},
                        "end": {"type": "string", "format": "date-time"},
                        "revision": {"type": "integer"}, "cancel_reason": {"type": ["string", "null"]},
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "customer_no_shows": {"type": "integer", "description":
                                              "GET /api/bookings/{id} only: the customer's bookings marked no_show"},
                    },
                },
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/bookings": {
                "post": {
                    "summary": "Create a booking (barber optional: any free barber)",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/BookingCreate"}}}},
                    "responses": {"201": {"description": "created", "content": {"application/json": {"schema": booking}}},
                                  "409": _err("slot_taken"), "422": _err("invalid input"), "401": common["401"]},
                },
                "get": {
                    "summary": "List bookings",
                    "parameters": [
                        {"name": "date", "in": "query", "schema": {"type": "string", "format": "date"}},
                        {"name": "barber", "in": "query", "schema": {"type": "string"}},
                        {"name": "status", "in": "query", "schema": {"type": "string"}},
                        {"name": "customer_phone", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {"200": {"description": "bookings", "content": {"application/json": {
                        "schema": {"type": "array", "items": booking}}}}, "422": _err("bad filter"),
                        "401": common["401"]},
                },
            },
            "/api/bookings/{id}": {
                "get": {"parameters": [id_param], "responses": {"200": ok_booking, **common}},
                "patch": {
                    "summary": "Reschedule: old reminders revoked, new ones planned",
                    "parameters": [id_param],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/BookingPatch"}}}},
                    "responses": {"200": ok_booking, "409": _err("slot taken or booking not confirmed"),
                                  "422": _err("invalid input"), **common},
                },
                "delete": {
                    "summary": "Cancel: pending reminders revoked, customer notified",
                    "parameters": [id_param, {"name": "reason", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": ok_booking, "409": _err("already closed"), **common},
                },
            },
            "/api/bookings/{id}/reminders": {
                "get": {"parameters": [id_param], "responses": {"200": {"description": "the booking's reminders",
                        "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
                        **common}},
            },
            "/api/availability": {
                "get": {
                    "parameters": [
                        {"name": "date", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                        {"name": "service", "in": "query", "required": True, "schema": {"type": "string"}},
                        {"name": "barber", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {"200": {"description": "free start times", "content": {"application/json": {
                        "schema": {"type": "object"}}}}, "422": _err("bad query"), "401": common["401"]},
                },
            },
            "/api/queue/stats": {"get": {"responses": {"200": {"description": "reminder counts", "content": {
                "application/json": {"schema": {"type": "object"}}}}, "401": common["401"]}}},
            "/healthz": {"get": {"security": [], "responses": {"200": {"description": "alive"}}}},
            "/readyz": {"get": {"security": [], "responses": {"200": {"description": "ready"},
                                                              "503": {"description": "not ready"}}}},
        },
    }
