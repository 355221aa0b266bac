"""The server's safety rules, as one ASGI middleware in front of every route.

- Host: on loopback, only requests addressed to a loopback name are served (a web page cannot
  reach the API through a DNS name rebound to 127.0.0.1).
- Token: when the server has one, every request must carry it: ``Authorization: Bearer T``, the
  ``briefkit_token`` cookie (set when the page is opened as ``/?token=T``) or ``?token=T``.
- Size: a request body larger than its limit is refused with 413, by its Content-Length or, when
  it has none, as soon as the bytes read pass the limit.

It leaves CORS to Starlette's middleware (off unless asked for) and rate limits to the generation queue.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

from fastapi import HTTPException

TOKEN_COOKIE = "briefkit_token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    """Largest request bodies, in bytes: uploads to /api/ingest, and everything else."""

    upload_bytes: int = 50_000_000
    body_bytes: int = 64_000


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_NAMES or host.startswith("127.")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a body passes its limit; an HTTPException, so the framework's body
    parsing passes it on as a 413 instead of calling it a parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


class Guard:
    """ASGI middleware enforcing the token, the allowed hosts and the body limits."""

    def __init__(self, app: Callable, token: str | None, limits: Limits, loopback_only: bool) -> None:
        self.app = app
        self.token = token
        self.limits = limits
        self.loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.loopback_only and not is_loopback(_host_name(headers.get("host", ""))):
            await _refuse(send, 421, "this server answers only requests addressed to 127.0.0.1 or localhost")
            return
        if self.token is not None and not self._has_token(scope, headers):
            await _refuse(send, 401, "this server needs its token: send `Authorization: Bearer TOKEN`"
                                     " or open the page as /?token=TOKEN")
            return
        limit = self.limits.upload_bytes if scope["path"] == "/api/ingest" else self.limits.body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, 413, too_large(limit))
            return
        await self._limited(scope, receive, send, limit)

    def _has_token(self, scope: Scope, headers: dict[str, str]) -> bool:
        offered: list[str] = []
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            offered.append(auth[7:].strip())
        if "cookie" in headers:
            cookie = SimpleCookie()
            try:
                cookie.load(headers["cookie"])
            except Exception:  # noqa: BLE001 - a malformed cookie header is just no token
                cookie = SimpleCookie()
            if TOKEN_COOKIE in cookie:
                offered.append(cookie[TOKEN_COOKIE].value)
        offered.extend(parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", []))
        expected = self.token.encode()
        return any(hmac.compare_digest(t.encode(), expected) for t in offered)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        seen = 0
        started = False

        async def counting_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _refuse(send, 413, too_large(limit))


def _host_name(host: str) -> str:
    """The name part of a Host header: ``localhost:8765`` → ``localhost``, ``[::1]:80`` → ``[::1]``."""
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def too_large(limit: int) -> str:
    return f"the request is larger than this server's limit of {limit / 1e6:g} MB"


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
