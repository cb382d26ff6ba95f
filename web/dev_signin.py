"""Development only: sign in as any practitioner in the registry, without HelseID.

The admin page asks for the list (the picker at `/`) and, for `/?dev-hpr=N`, for a token issued
here with the same development key that `tilpass token` uses. web.routes leaves these routes
out in production, and they refuse to work with any verifier but the development one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from auth.tokens import DevelopmentTokens
from models.practices import Practitioner, practices_of

NO_STORE = {"Cache-Control": "no-store"}


def _development_tokens(request: Request) -> DevelopmentTokens | None:
    verifier = request.app.state.services.verifier
    return verifier if isinstance(verifier, DevelopmentTokens) else None


async def practitioners(request: Request) -> JSONResponse:
    if _development_tokens(request) is None:
        return JSONResponse({"error": "Finnes ikke."}, status_code=404)
    listed: list[dict[str, Any]] = []
    async with request.app.state.services.db.read() as session:
        result = await session.execute(
            select(Practitioner).order_by(Practitioner.name, Practitioner.hpr_number)
        )
        for person in result.scalars():
            practices = await practices_of(session=session, hpr_number=person.hpr_number)
            listed.append(
                {
                    "hprNumber": person.hpr_number,
                    "name": person.name,
                    "practices": [{"herId": p.her_id, "name": p.name} for p in practices],
                }
            )
    return JSONResponse({"practitioners": listed}, headers=NO_STORE)


async def token(request: Request) -> JSONResponse:
    tokens = _development_tokens(request)
    if tokens is None:
        return JSONResponse({"error": "Finnes ikke."}, status_code=404)
    try:
        body = await request.json()
    except ValueError:
        body = None
    hpr = body.get("hpr") if isinstance(body, dict) else None
    if isinstance(hpr, bool) or not isinstance(hpr, int) or hpr <= 0:
        return JSONResponse({"error": "Oppgi et HPR-nummer (hpr)."}, status_code=400)
    return JSONResponse({"token": tokens.issue(hpr)}, headers=NO_STORE)


routes: list[BaseRoute] = [
    Route("/dev/practitioners", practitioners),
    Route("/dev/token", token, methods=["POST"]),
]
