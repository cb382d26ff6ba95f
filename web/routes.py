"""Routes of the browser side, mounted beside /graphql by app.py."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from models.catalog import Catalog
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


# Where admin.html takes the page's configuration (page-config.js reads it).
CONFIG_MARK = "<!-- page-config -->"


def page_config(settings: Settings, catalog: Catalog) -> dict[str, object]:
    """What the admin page needs to know beyond the API: the guide's links from the settings,
    and each service's name for GPs (the catalogue's admin title, the title of its box on "Info
    til pasient") beside the name patients see, so that the page can name every service one way,
    even where an older history entry names it as patients do. In the order of the boxes."""
    services = [
        {
            "code": slot.service,
            "title": slot.admin_title,
            "patientTitle": catalog.service(slot.service).patient_title,
            "absence": catalog.service(slot.service).absence_applies,
        }
        for slot in catalog.text_slots
        if slot.service is not None
    ]
    return {
        "helpUrl": settings.help_url,
        "absenceGuideUrl": settings.absence_guide_url,
        "services": services,
    }


def config_block(config: dict[str, object]) -> str:
    """The configuration as a JSON data block: not a script, so the Content-Security-Policy
    (no inline script) lets it be; <, > and & escaped so that no value can end the block."""
    text = json.dumps(config, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="page-config">{text}</script>'


def _admin_page(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    headers = page_headers(settings)

    async def page(request: Request) -> Response:
        # Read on every request, as the other pages are, so that an edited page shows at once.
        template = (STATIC / "admin.html").read_text(encoding="utf-8")
        block = config_block(page_config(settings, request.app.state.services.catalog))
        return HTMLResponse(template.replace(CONFIG_MARK, block, 1), headers=headers)

    return page


def web_routes(settings: Settings) -> list[BaseRoute]:
    """The admin page, the patient preview, their files, the FHIR questionnaires and the
    HelseID login (404 where HelseID is not configured); in
    development also the sign-in as a demo practitioner (`/?dev-hpr=N`), which production
    does not have at all."""
    routes: list[BaseRoute] = [
        Route("/", _admin_page(settings)),
        Route("/pasient/{her_id:int}", _page("patient.html", PAGE_HEADERS)),
        *fhir.routes,
        *signin.routes,
        Mount("/static", app=_RevalidatedFiles(directory=STATIC), name="static"),
    ]
    if not settings.production:
        routes.extend(dev_signin.routes)
    return routes
