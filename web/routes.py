"""Routes of the browser side, mounted beside /graphql by app.py."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from settings import Settings
from web import dev_signin, fhir, signin

STATIC = Path(__file__).resolve().parent / "static"

# The pages insert practice texts as text, never as markup; this policy is the second line of
# defence should that ever slip: nothing but this origin's own files may run or be fetched.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # A deployment must reach every browser at once, or an old page talks to a new API.
    "Cache-Control": "no-cache",
}


def page_headers(settings: Settings) -> dict[str, str]:
    """The pages' headers; with HelseID, "Logg ut" (a form) may go on to HelseID's logout,
    which browsers check against form-action through the redirect."""
    if not settings.helseid:
        return PAGE_HEADERS
    parts = urlsplit(settings.helseid_authority)
    policy = f"{CONTENT_SECURITY_POLICY} {parts.scheme}://{parts.netloc}"
    return {**PAGE_HEADERS, "Content-Security-Policy": policy}


class _RevalidatedFiles(StaticFiles):
    """Static files that browsers check for a newer version on every load (cheap: ETag)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _page(name: str, headers: dict[str, str]) -> Callable[[Request], Awaitable[Response]]:
    async def page(request: Request) -> Response:
        return FileResponse(STATIC / name, media_type="text/html", headers=headers)

    return page


def web_routes(settings: Settings) -> list[BaseRoute]:
    """The admin page, the patient preview, their files, the FHIR questionnaires and the
    HelseID login (404 where HelseID is not configured); in
    development also the sign-in as a demo practitioner (`/?dev-hpr=N`), which production
    does not have at all."""
    routes: list[BaseRoute] = [
        Route("/", _page("admin.html", page_headers(settings))),
        Route("/pasient/{her_id:int}", _page("patient.html", PAGE_HEADERS)),
        *fhir.routes,
        *signin.routes,
        Mount("/static", app=_RevalidatedFiles(directory=STATIC), name="static"),
    ]
    if not settings.production:
        routes.extend(dev_signin.routes)
    return routes
