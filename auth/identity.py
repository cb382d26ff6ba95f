"""Who a GraphQL request speaks for: the token in its Authorization header, or else the admin
page's session cookie.

What is worked out here when the request's context is built (fetching keys, reading the
session) is what the resolvers' synchronous `identify` then answers from:
- no credential at all: None (`me` is null, admin fields UNAUTHENTICATED);
- a credential that is invalid or expired, token or session: Unauthenticated, so that a page
  can tell "sign in again" from "not in HPR";
- a session cookie on a request another site's page made (a cross-site Origin or
  Sec-Fetch-Site): Unauthenticated, whatever the session;
- a request with an Authorization header is judged by its token alone: `Bearer`, or `DPoP`
  with a proof of the key the token is bound to (auth/dpop.py). A token bound to a key is
  never taken as a bare bearer token, and with TILPASS_DPOP=required no token is. A DPoP
  request is checked in full here (its proof's jti must be recorded before it counts); a
  bearer token only when a resolver asks who is signed in, as before.

A refusal on the token's account leaves its `WWW-Authenticate: DPoP` challenge on the
request's scope when a resolver meets it, for the HTTP response to carry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.requests import Request

from auth import dpop
from auth.sessions import SessionPolicy, current_session, from_another_site
from auth.tokens import TokenVerifier, credentials, hpr_from_claims
from models.database import Database
from models.outage import is_unavailable
from resolvers.errors import ServiceUnavailable, Unauthenticated

Identify = Callable[[], int | None]

INVALID_TOKEN = "Tokenet er ugyldig eller utløpt. Logg inn på nytt."
ENDED_SESSION = "Økten din er avsluttet eller utløpt. Logg inn på nytt."
CROSS_SITE = "Forespørselen kom ikke fra Tilpass Helsenorges egne sider, og ble avvist."
BOUND_AS_BEARER = (
    "Tokenet er bundet til en nøkkel (DPoP) og må sendes som Authorization: DPoP <token>, "
    "med et DPoP-bevis."
)
DPOP_REQUIRED = (
    "Tjenesten tar bare imot DPoP-bundne tokener: send Authorization: DPoP <token> med et "
    "DPoP-bevis."
)


def nobody() -> int | None:
    return None


def refuse(message: str) -> Identify:
    def identify() -> int | None:
        raise Unauthenticated(message)

    return identify


def refuse_with_challenge(request: Request, message: str, error: str) -> Identify:
    """A refusal whose HTTP answer carries a DPoP challenge, once a resolver has met it (a
    patient read never asks who is signed in, and gets no challenge)."""

    def identify() -> int | None:
        request.scope[dpop.CHALLENGE_KEY] = dpop.challenge(error)
        raise Unauthenticated(message)

    return identify


def unavailable() -> int | None:
    raise ServiceUnavailable()


def known(hpr_number: int) -> Identify:
    return lambda: hpr_number


async def identify_request(
    request: Request,
    *,
    verifier: TokenVerifier,
    db: Database,
    sessions: SessionPolicy | None,
    now: Callable[[], datetime],
    public_url: str = "",
    dpop_required: bool = False,
) -> Identify:
    """`public_url`: the service's address as clients see it (DPoP's `htu`; the request's own
    URL when empty); `dpop_required`: whether only DPoP-bound tokens are taken."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        found = credentials(authorization)
        if found is None:
            return refuse(INVALID_TOKEN)
        scheme, token = found
        if scheme == "dpop":
            return await by_dpop(
                request, token, verifier=verifier, db=db, now=now, public_url=public_url
            )
        if dpop_required:
            return refuse_with_challenge(request, DPOP_REQUIRED, dpop.INVALID_TOKEN)
        await verifier.prepare(token)
        return by_bearer_token(request, token, verifier)
    if sessions is None:
        return nobody
    secret = request.cookies.get(sessions.cookie_name)
    if not secret:
        return nobody
    if from_another_site(request.headers, sessions.origin):
        return refuse(CROSS_SITE)
    try:
        login = await current_session(db, sessions, secret, now=now())
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        # Patient fields need no identity: only what asks who is signed in is refused.
        return unavailable
    if login is None:
        return refuse(ENDED_SESSION)
    return known(login.hpr_number)


def by_bearer_token(request: Request, token: str, verifier: TokenVerifier) -> Identify:
    def identify() -> int | None:
        claims = verifier.verified_claims(token)
        if claims is None:
            raise Unauthenticated(INVALID_TOKEN)
        if dpop.is_bound(claims):
            # Sent as a bare bearer token, a bound token would be as good as stolen (RFC 9449
            # §7.2): it is refused even when valid.
            request.scope[dpop.CHALLENGE_KEY] = dpop.challenge(dpop.INVALID_TOKEN)
            raise Unauthenticated(BOUND_AS_BEARER)
        hpr = hpr_from_claims(claims)
        if hpr is None:
            raise Unauthenticated(INVALID_TOKEN)
        return hpr

    return identify


async def by_dpop(
    request: Request,
    token: str,
    *,
    verifier: TokenVerifier,
    db: Database,
    now: Callable[[], datetime],
    public_url: str,
) -> Identify:
    """A DPoP-bound token with its proof, checked in full: the proof (auth/dpop.py), the token,
    the binding between them, then the proof's first use on any instance, last so that
    nothing is written for a request refused anyway."""
    moment = now()
    htu = dpop.request_htu(public_url=public_url, path=request.url.path, own_url=str(request.url))
    try:
        proof = dpop.check_proof(
            dpop.one_proof(request.headers.getlist("dpop")),
            method=request.method,
            htu=htu,
            access_token=token,
            now=moment,
        )
        await verifier.prepare(token)
        claims = verifier.verified_claims(token)
        hpr = None if claims is None else hpr_from_claims(claims)
        if claims is None or hpr is None:
            raise dpop.Refused(INVALID_TOKEN, dpop.INVALID_TOKEN)
        dpop.check_binding(claims, proof)
        try:
            first = await dpop.first_use(db, proof, moment)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            return unavailable
        if not first:
            raise dpop.Refused(dpop.REPLAYED)
    except dpop.Refused as refused:
        return refuse_with_challenge(request, refused.message, refused.error)
    return known(hpr)
