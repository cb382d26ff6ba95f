"""Security headers on every response, and which other origins' pages may call the API (CORS).

The API answers JSON only, so by default nothing in a response may run, be framed or be
sniffed as something else. Pages that set their own policy (the admin page, GraphiQL) keep it.
HSTS only in production, where the service is behind HTTPS; a development server on
http://127.0.0.1 must not teach the browser otherwise.

CORS: the admin page served by this service needs none. An admin page on another origin
(TILPASS_CORS_ORIGINS) may POST with a bearer token, or a DPoP-bound one with its `DPoP` proof
header, and read the `WWW-Authenticate` challenge of a refusal; no cookies are involved, so
credentials stay off."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settings import Settings

API_POLICY = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app, self.production = app, production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [*HEADERS, HSTS] if self.production else list(HEADERS)
                if not _is_html(headers):
                    extra.append((b"content-security-policy", API_POLICY))
                headers.extend((name, value) for name, value in extra if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, add_headers)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == b"content-type" and value.startswith(b"text/html")
        for name, value in headers
    )


def cors(settings: Settings) -> Middleware:
    return Middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "DPoP", "Content-Type", "Accept", "If-None-Match"],
        expose_headers=["ETag", "X-Request-ID", "WWW-Authenticate"],
        allow_credentials=False,
        max_age=600,
    )
