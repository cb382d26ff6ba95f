"""Development mode that nobody chose (TILPASS_ENV not set) serves this machine's clients only.

`tilpass serve` refuses to listen anywhere but on loopback then (settings.py); this middleware
covers what that check cannot see: `uvicorn app:app --host 0.0.0.0` (the app is built at
import, before any address is known) and a proxy on this machine forwarding others' requests.
It judges the client uvicorn reports, which is the X-Forwarded-For address when the
connection comes from a proxy uvicorn trusts (127.0.0.1 by default)."""

from __future__ import annotations

from functools import lru_cache

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from settings import DEFAULTED_DEVELOPMENT_WAY_OUT, is_loopback

MESSAGE = (
    "Utviklingsmodus betjener bare klienter på denne maskinen: utenfra kunne hvem som helst "
    "hente utviklingstokener for enhver behandler og endre legekontorenes innstillinger. "
    + DEFAULTED_DEVELOPMENT_WAY_OUT
)


# Parsing the address took a few microseconds of every request; clients are few.
_local = lru_cache(maxsize=1_024)(is_loopback)


class LoopbackOnly:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            # No client address (a Unix socket): nothing says it is this machine's.
            client = scope.get("client")
            if client is None or not _local(str(client[0])):
                response = PlainTextResponse(
                    MESSAGE, status_code=403, headers={"Cache-Control": "no-store"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
