"""`/auth/login`, `/auth/callback` and `/auth/logout`: the HelseID login over HTTP.

Each way a login can fail gets a Norwegian page of its own, with a way to try again; none of
them shows a token, a code or a stack trace, and none starts a session. Only the session's
random id reaches the browser, in an HttpOnly cookie (auth/sessions.py)."""

from __future__ import annotations

import html
import logging

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from auth.helseid import HelseIdUnavailable, LoginRefused
from auth.login import ATTEMPT_LIFETIME, SignIn
from auth.sessions import from_another_site

log = logging.getLogger("tilpass")

NO_STORE = "no-store"
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

# reason → (status, heading, what happened and what to do). A callback that fails any check is
# 400 (DOMAIN.md), a GP who may not sign in included; HelseID not answering is 503.
PAGES = {
    "cancelled": (
        400,
        "Innloggingen ble avbrutt",
        "Du avbrøt innloggingen hos HelseID, så du er ikke logget inn.",
    ),
    "invalid": (
        400,
        "Innloggingen kunne ikke fullføres",
        "Svaret fra HelseID kunne ikke godtas: innloggingen kan ha tatt for lang tid, eller "
        "lenken er brukt før. Start innloggingen på nytt.",
    ),
    "refused": (
        400,
        "Innloggingen kunne ikke fullføres",
        "HelseID avviste innloggingen. Start innloggingen på nytt.",
    ),
    "other_browser": (
        400,
        "Innloggingen kunne ikke fullføres",
        "Innloggingen ble startet i en annen nettleser eller et annet vindu. Start den på nytt "
        "her.",
    ),
    "no_hpr": (
        400,
        "Du mangler HPR-nummer",
        "HelseID oppga ikke noe HPR-nummer for deg. Tilpass Helsenorge er for helsepersonell "
        "som er registrert i Helsepersonellregisteret (HPR).",
    ),
    "low_assurance": (
        400,
        "For lavt sikkerhetsnivå",
        "Du logget inn med et lavere sikkerhetsnivå enn høyt. Logg inn på nytt med BankID, "
        "Buypass eller Commfides.",
    ),
    "not_registered": (
        400,
        "Du er ikke registrert her",
        "HPR-nummeret ditt er ikke knyttet til noe fastlegekontor i Adresseregisteret. "
        "Rettighetene følger tilknytningen; kontakt kontoret ditt om den mangler.",
    ),
    "unavailable": (
        503,
        "HelseID svarer ikke akkurat nå",
        "Innloggingstjenesten HelseID svarer ikke. Vent litt og prøv igjen.",
    ),
    "cross_site": (
        403,
        "Forespørselen ble avvist",
        "Utlogging må skje fra Tilpass Helsenorges egne sider.",
    ),
}


def page(reason: str) -> HTMLResponse:
    status, heading, text = PAGES[reason]
    body = f"""<!doctype html>
<html lang="nb">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <title>{html.escape(heading)} – Tilpass Helsenorge</title>
  <link rel="stylesheet" href="/static/common.css">
</head>
<body>
  <main id="main" class="signin-problem">
    <h1>{html.escape(heading)}</h1>
    <p>{html.escape(text)}</p>
    <p><a class="button" href="/auth/login">Logg inn med HelseID</a>
       <a href="/">Til forsiden</a></p>
  </main>
</body>
</html>
"""
    headers = {"Cache-Control": NO_STORE, "Content-Security-Policy": PAGE_POLICY}
    if status == 503:
        headers["Retry-After"] = "30"
    return HTMLResponse(body, status_code=status, headers=headers)


def _sign_in(request: Request) -> SignIn | None:
    return request.app.state.services.sign_in


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": NO_STORE})


async def login(request: Request) -> Response:
    sign_in = _sign_in(request)
    if sign_in is None:
        return HTMLResponse("Ikke funnet.", status_code=404)
    try:
        begun = await sign_in.begin(request.query_params.get("next"))
    except HelseIdUnavailable as exc:
        log.warning("HelseID did not answer the login (%s)", exc)
        return page("unavailable")
    response = _redirect(begun.authorize_url)
    response.headers.append(
        "Set-Cookie",
        sign_in.policy.set_cookie(
            sign_in.policy.login_cookie_name,
            begun.browser_secret,
            int(ATTEMPT_LIFETIME.total_seconds()),
        ),
    )
    return response


async def callback(request: Request) -> Response:
    sign_in = _sign_in(request)
    if sign_in is None:
        return HTMLResponse("Ikke funnet.", status_code=404)
    policy = sign_in.policy
    try:
        signed_in = await sign_in.complete(
            state=request.query_params.get("state"),
            browser_secret=request.cookies.get(policy.login_cookie_name),
            query_string=request.url.query,
        )
    except LoginRefused as refused:
        log.info("a HelseID login was refused: %s", refused.reason)
        response: Response = page(refused.reason)
    except HelseIdUnavailable as exc:
        log.warning("HelseID did not answer the login's callback (%s)", exc)
        response = page("unavailable")
    else:
        log.info("a GP signed in with HelseID")
        response = _redirect(signed_in.next_path)
        response.headers.append(
            "Set-Cookie",
            policy.set_cookie(
                policy.cookie_name, signed_in.session_secret, int(policy.absolute.total_seconds())
            ),
        )
    # The login is over, whichever way it went.
    response.headers.append("Set-Cookie", policy.set_cookie(policy.login_cookie_name, "", 0))
    return response


async def logout(request: Request) -> Response:
    sign_in = _sign_in(request)
    if sign_in is None:
        return _redirect("/")
    policy = sign_in.policy
    if from_another_site(request.headers, policy.origin):
        return page("cross_site")
    after = await sign_in.end(request.cookies.get(policy.cookie_name))
    response = _redirect(after)
    response.headers.append("Set-Cookie", policy.set_cookie(policy.cookie_name, "", 0))
    return response


async def session_status(request: Request) -> JSONResponse:
    """Whether the admin page should offer "Logg inn med HelseID"."""
    return JSONResponse(
        {"helseid": _sign_in(request) is not None}, headers={"Cache-Control": NO_STORE}
    )


routes: list[BaseRoute] = [
    Route("/auth/session", session_status),
    Route("/auth/login", login),
    Route("/auth/callback", callback),
    Route("/auth/logout", logout, methods=["POST"]),
]
