"""Access token → verified claims → practitioner (HPR number): the one place that knows how
tokens are checked (how a DPoP-bound token's proof is checked is auth/dpop.py's).

Development: HS256 tokens signed with a key the first command that needs it creates and keeps
with the database (beside an SQLite file, in the database on PostgreSQL), so every command and
instance on that database accepts the same tokens. Production: HelseID tokens verified
against the configured JWKS (auth/jwks.py); development tokens are refused there."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import jwt

from auth.jwks import ALGORITHMS, KeySet
from models.database import Database
from models.keys import get_or_create_key
from settings import Settings

HPR_CLAIM = "helseid://claims/hpr/hpr_number"
ASSURANCE_CLAIM = "helseid://claims/identity/assurance_level"
DEV_ISSUER = "tilpass-development"
DEV_KEY_NAME = "development"
DEFAULT_TTL = timedelta(days=7)


class TokenVerifier(Protocol):
    async def prepare(self, token: str) -> None:
        """Fetches whatever checking this token needs, before the (synchronous) check."""
        ...

    def verified_claims(self, token: str) -> dict[str, Any] | None:
        """The token's claims once every check has passed, or None when it is not to be
        trusted."""
        ...


# The schemes an Authorization header may use: a bare bearer token, or one bound to the
# client's key and sent with a proof of it (RFC 9449).
SCHEMES = ("bearer", "dpop")


def credentials(authorization: str) -> tuple[str, str] | None:
    """The scheme (lower case, `bearer` or `dpop`) and token of an Authorization header value;
    None for any other scheme, or a token that is not one (RFC 6750's b64token: printable
    ASCII without spaces)."""
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() not in SCHEMES or not token or not token.isascii():
        return None
    if not token.isprintable() or " " in token:
        return None
    return scheme.lower(), token


def hpr_from_claims(claims: dict[str, Any]) -> int | None:
    value = claims.get(HPR_CLAIM)
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


@dataclass(frozen=True)
class DevelopmentTokens:
    secret: str

    def issue(
        self, hpr_number: int, *, ttl: timedelta = DEFAULT_TTL, jkt: str | None = None
    ) -> str:
        """A development token for `hpr_number`; with `jkt` (an RFC 7638 thumbprint) bound to
        that DPoP key, as HelseID binds its tokens (`cnf.jkt`)."""
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": DEV_ISSUER,
            "sub": str(hpr_number),
            HPR_CLAIM: str(hpr_number),
            ASSURANCE_CLAIM: "high",
            "iat": now,
            "exp": now + ttl,
        }
        if jkt is not None:
            claims["cnf"] = {"jkt": jkt}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    async def prepare(self, token: str) -> None:
        """Nothing to fetch: the key is local."""

    def verified_claims(self, token: str) -> dict[str, Any] | None:
        try:
            return jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                issuer=DEV_ISSUER,
                options={"require": ["exp", "iss"]},
            )
        except jwt.PyJWTError:
            return None


@dataclass
class HelseIdTokens:
    """Production: RS256/ES256 tokens from HelseID, checked against its published keys, for
    this service (issuer and audience), at assurance level high."""

    keys: KeySet
    issuer: str
    audience: str
    leeway_seconds: int = 60

    async def prepare(self, token: str) -> None:
        """Fetches HelseID's keys anew when the token names one we have not seen (bounded)."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            return
        if isinstance(kid, str):
            await self.keys.refresh(kid)

    def verified_claims(self, token: str) -> dict[str, Any] | None:
        try:
            header = jwt.get_unverified_header(token)
            algorithm, kid = header.get("alg"), header.get("kid")
            if algorithm not in ALGORITHMS or not isinstance(kid, str):
                return None
            key = self.keys.get(kid)
            # The key decides the algorithm, never the token: an RSA key is not an HMAC secret.
            if key is None or key.algorithm_name != algorithm:
                return None
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except Exception:
            # Whatever is wrong with a token, the answer is "not signed in", never a server error.
            return None
        if claims.get(ASSURANCE_CLAIM) != "high":
            return None
        return claims


async def production_verifier(
    settings: Settings, *, monotonic: Callable[[], float] = time.monotonic
) -> HelseIdTokens:
    """HelseID tokens as the settings describe them, with the keys fetched once already."""
    settings.require_production_ready()
    tokens = HelseIdTokens(
        keys=KeySet(settings.jwks_url, monotonic=monotonic),
        issuer=settings.issuer,
        audience=settings.audience,
    )
    await tokens.keys.refresh()
    return tokens


async def development_tokens(db: Database, settings: Settings) -> DevelopmentTokens:
    candidate = secrets.token_urlsafe(48)
    path = settings.sqlite_path
    if db.is_sqlite:
        if path is None:
            return DevelopmentTokens(secret=_process_key(candidate))
        return DevelopmentTokens(secret=_key_file(path.with_name(path.name + ".key"), candidate))
    async with db.write() as session:
        secret = await get_or_create_key(session=session, name=DEV_KEY_NAME, candidate=candidate)
    return DevelopmentTokens(secret=secret)


_PROCESS_KEYS: list[str] = []


def _process_key(candidate: str) -> str:
    # An in-memory database lives and dies with the process; so does its key.
    if not _PROCESS_KEYS:
        _PROCESS_KEYS.append(candidate)
    return _PROCESS_KEYS[0]


def _key_file(path: Path, candidate: str) -> str:
    """Publishes a complete key file with one atomic link, so that two processes starting at
    once agree on the key and neither reads a half-written file."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    draft.write_text(candidate + "\n", encoding="ascii")
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text(encoding="ascii").strip()


async def token_verifier(db: Database, settings: Settings) -> TokenVerifier:
    if settings.production:
        return await production_verifier(settings)
    return await development_tokens(db, settings)
