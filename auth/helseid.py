"""Signing GPs in with HelseID, as a confidential OpenID Connect client of the service's own.

HelseID's security profile: the authorization code flow with PKCE (S256); the authorization
request pushed first (PAR), the browser sent on with only `client_id` and `request_uri`;
`private_key_jwt` client authentication (assertion `aud` = the issuer, a fresh `jti`, 60 s);
a DPoP proof on the token request (a `use_dpop_nonce` answer is retried once with the nonce);
`state`, `nonce`, the callback's `iss` (RFC 9207) and the ID token (signature by the
provider's keys, `iss`, `aud`, `exp`, `nonce`) all checked.

The protocol is requests-oauth2client's (it has PAR, DPoP, private_key_jwt and PKCE; Authlib
has DPoP only in an unreleased branch). It is synchronous, so every call to the provider runs
in a worker thread, with a timeout, and a provider that does not answer is
`HelseIdUnavailable`, never a hung request."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwskate
import requests
from requests_oauth2client import (
    AuthorizationRequest,
    AuthorizationResponseError,
    BearerToken,
    DPoPKey,
    DPoPToken,
    OAuth2Client,
    PrivateKeyJwt,
)

from auth.tokens import ASSURANCE_CLAIM, hpr_from_claims

SCOPES = (
    "openid profile helseid://scopes/identity/hpr_number helseid://scopes/identity/assurance_level"
)
REQUIRED_ASSURANCE = "high"
TIMEOUT_SECONDS = 10


class HelseIdUnavailable(Exception):
    """The provider did not answer, or not as a provider answers."""


class LoginRefused(Exception):
    """A callback that fails a check, or a login the GP cancelled; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who HelseID says signed in, from the verified ID token."""

    hpr_number: int | None
    assurance_level: str | None
    name: str
    id_token: str


@dataclass(frozen=True)
class StartedLogin:
    authorize_url: str
    state: str
    # What the callback needs again (PKCE verifier, nonce, state), kept server-side.
    saved_request: str


class _TimedSession(requests.Session):
    """requests has no session-wide timeout: without one a provider that accepts the
    connection and never answers would hold a worker thread for ever."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


class HelseIdDPoPToken(DPoPToken):
    """requests-oauth2client 1.8's DPoPToken.validate_id_token checks the ID token and then
    rebuilds the token without its DPoP key (TypeError): check it on a Bearer copy instead."""

    def validate_id_token(
        self, client: Any, azr: Any, exp_leeway: int = 0, auth_time_leeway: int = 10
    ) -> HelseIdDPoPToken:
        fields = {
            "access_token": self.access_token,
            "expires_at": self.expires_at,
            "scope": self.scope,
            "refresh_token": self.refresh_token,
            **self.kwargs,
        }
        checked = BearerToken(**fields, id_token=self.id_token).validate_id_token(
            client, azr, exp_leeway, auth_time_leeway
        )
        return HelseIdDPoPToken(
            **fields, token_type=self.token_type, id_token=checked.id_token, _dpop_key=self.dpop_key
        )


def new_dpop_key(alg: str) -> DPoPKey:
    """A DPoP key whose tokens survive the ID token's check (HelseIdDPoPToken)."""
    return DPoPKey.generate(alg, dpop_token_class=HelseIdDPoPToken)


def read_client_key(text: str) -> dict[str, Any]:
    """The client's private key: one JWK (RSA or EC) with `kid`; `alg` when absent from its
    type. ValueError when it is no such key."""
    try:
        key = jwskate.Jwk(json.loads(text))
    except Exception as exc:
        raise ValueError("er ikke én JWK (JSON)") from exc
    if not key.is_private or key.kty not in ("RSA", "EC"):
        raise ValueError("må være en privat RSA- eller EC-nøkkel")
    if not key.kid:
        raise ValueError("mangler kid")
    data = dict(key)
    data.setdefault("alg", "RS256" if key.kty == "RSA" else "ES256")
    return data


@dataclass
class HelseIdClient:
    authority: str
    client_id: str
    client_key: dict[str, Any]
    public_url: str
    # An http:// authority is accepted only on loopback (the settings see to that); the
    # library must then not insist on https either.
    testing: bool = False
    _client: OAuth2Client | None = None
    _discovery: dict[str, Any] | None = None

    @property
    def redirect_uri(self) -> str:
        return self.public_url + "/auth/callback"

    @property
    def after_logout_uri(self) -> str:
        return self.public_url + "/"

    async def start(self) -> StartedLogin:
        """Pushes a new authorization request; where to send the browser, and what to keep."""
        return await self._in_thread(self._start)

    async def finish(self, saved_request: str, callback_url: str) -> Identity:
        """Checks the callback against the request it answers, redeems the code and checks the
        ID token. LoginRefused for a failed check or a cancelled login."""
        return await self._in_thread(self._finish, saved_request, callback_url)

    async def end_session_url(self, id_token: str) -> str | None:
        """Where to send the browser to sign out at the provider too (None if it has no
        end_session_endpoint)."""
        await self._in_thread(self._ready)
        endpoint = (self._discovery or {}).get("end_session_endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            return None
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": self.after_logout_uri,
                "client_id": self.client_id,
            }
        )
        return f"{endpoint}?{query}"

    async def _in_thread(self, call: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(call, *args)
        except (LoginRefused, HelseIdUnavailable):
            raise
        except requests.RequestException as exc:
            raise HelseIdUnavailable(type(exc).__name__) from None

    def _ready(self) -> OAuth2Client:
        if self._client is not None:
            return self._client
        session = _TimedSession()
        try:
            response = session.get(self.authority.rstrip("/") + "/.well-known/openid-configuration")
            response.raise_for_status()
            discovery = response.json()
            client = OAuth2Client.from_discovery_document(
                discovery,
                issuer=self.authority,
                auth=PrivateKeyJwt(
                    self.client_id, jwskate.Jwk(self.client_key), aud=discovery.get("issuer")
                ),
                redirect_uri=self.redirect_uri,
                dpop_key_generator=new_dpop_key,
                session=session,
                testing=self.testing,
            )
        except requests.RequestException:
            raise
        except Exception as exc:
            # A discovery document that is not one: the provider is not answering as one.
            raise HelseIdUnavailable(type(exc).__name__) from None
        self._discovery, self._client = discovery, client
        return client

    def _start(self) -> StartedLogin:
        client = self._ready()
        request = client.authorization_request(
            scope=SCOPES, authorization_response_iss_parameter_supported=True
        )
        try:
            pushed = client.pushed_authorization_request(request)
        except requests.RequestException:
            raise
        except Exception as exc:
            # The provider refused the pushed request: nothing a GP can fix; report it as the
            # provider not being usable right now.
            raise HelseIdUnavailable(type(exc).__name__) from None
        saved = json.dumps(request.as_dict(), default=str)
        return StartedLogin(authorize_url=str(pushed.uri), state=request.state, saved_request=saved)

    def _finish(self, saved_request: str, callback_url: str) -> Identity:
        client = self._ready()
        request = AuthorizationRequest(**json.loads(saved_request))
        try:
            response = request.validate_callback(callback_url)
        except AuthorizationResponseError as exc:
            reason = "cancelled" if exc.error == "access_denied" else "refused"
            raise LoginRefused(reason) from None
        except Exception:
            # A state or iss that does not match, a callback without a code.
            raise LoginRefused("invalid") from None
        try:
            # The provider may have rolled its keys since the last login.
            client.update_authorization_server_public_keys()
            tokens = client.authorization_code(response, dpop=True)
        except requests.RequestException:
            raise
        except Exception:
            # The code refused (replayed, expired) or an ID token failing its checks.
            raise LoginRefused("invalid") from None
        id_token = tokens.id_token
        if id_token is None or id_token.issuer != client.issuer:
            raise LoginRefused("invalid")
        claims = id_token.claims
        level = claims.get(ASSURANCE_CLAIM)
        name = claims.get("name")
        return Identity(
            hpr_number=hpr_from_claims(claims),
            assurance_level=level if isinstance(level, str) else None,
            name=name if isinstance(name, str) else "",
            id_token=str(id_token),
        )
