"""HelseID as far as the tests need it: signing keys (RSA and EC, made with `cryptography`), the
JWKS it publishes (a file, reached through a file:// URL), and tokens with its claims; and a
client's DPoP key making proofs (RFC 9449), with PyJWT, not the service's library."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from auth.tokens import ASSURANCE_CLAIM, HPR_CLAIM

ISSUER = "https://helseid-sts.test.nhn.no"
AUDIENCE = "nhn:tilpass-helsenorge"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def new_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def algorithm_of(key: PrivateKey) -> str:
    return "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"


def public_jwk(kid: str, key: PrivateKey) -> dict[str, Any]:
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": algorithm_of(key)}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class HelseId:
    folder: Path
    keys: dict[str, PrivateKey] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keys = {"rsa-1": new_rsa_key(), "ec-1": new_ec_key()}
        self.publish()

    @property
    def jwks_path(self) -> Path:
        return self.folder / "jwks.json"

    @property
    def url(self) -> str:
        return self.jwks_path.as_uri()

    def publish(self) -> None:
        """Writes the JWKS with every key in `keys` (as HelseID does when it rolls keys)."""
        jwks = {"keys": [public_jwk(kid, key) for kid, key in self.keys.items()]}
        self.jwks_path.write_text(json.dumps(jwks), encoding="utf-8")

    def claims(self, hpr: int | str, **changes: Any) -> dict[str, Any]:
        """Claims of a valid access token for `hpr`; a change to None leaves that claim out."""
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "a-pairwise-subject",
            "iat": now,
            "nbf": now,
            "exp": now + timedelta(minutes=5),
            HPR_CLAIM: str(hpr),
            ASSURANCE_CLAIM: "high",
            **changes,
        }
        return {name: value for name, value in claims.items() if value is not None}

    def token(
        self,
        hpr: int | str = 9144889,
        *,
        kid: str = "rsa-1",
        key: PrivateKey | None = None,
        algorithm: str | None = None,
        **changes: Any,
    ) -> str:
        """A token signed with `key` (by default the one published as `kid`), under `kid`."""
        key = key or self.keys[kid]
        return jwt.encode(
            self.claims(hpr, **changes),
            key,
            algorithm=algorithm or algorithm_of(key),
            headers={"kid": kid},
        )

    def unsigned_token(self, hpr: int, kid: str = "rsa-1") -> str:
        header = {"alg": "none", "typ": "JWT", "kid": kid}
        payload = json.loads(json.dumps(self.claims(hpr), default=_seconds))
        return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}."

    def hs256_with_public_key(self, hpr: int, kid: str = "rsa-1") -> str:
        """The old key-confusion attack: an HMAC token whose secret is the published RSA key."""
        secret = (
            self.keys[kid]
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        header = {"alg": "HS256", "typ": "JWT", "kid": kid}
        payload = json.loads(json.dumps(self.claims(hpr), default=_seconds))
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64(signature)}"


def _seconds(value: Any) -> int:
    return int(value.timestamp())


def tampered(token: str, **claims: Any) -> str:
    """The token with its payload rewritten and the original signature kept."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(claims)
    return f"{header}.{b64(json.dumps(data).encode())}.{signature}"


def tampered_header(token: str, **changes: Any) -> str:
    """The token with its header rewritten (a change to None removes that entry)."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    data.update(changes)
    data = {name: value for name, value in data.items() if value is not None}
    return f"{b64(json.dumps(data).encode())}.{payload}.{signature}"


class Ticker:
    """A monotonic clock the test moves by hand, for the bound on fetching keys."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --- a client's DPoP key ----------------------------------------------------------------------

# The members RFC 7638 hashes, per key type.
THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 of the required members in lexical order, no spaces, base64url."""
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    text = json.dumps(members, sort_keys=True, separators=(",", ":"))
    return b64(hashlib.sha256(text.encode()).digest())


def ath(token: str) -> str:
    return b64(hashlib.sha256(token.encode()).digest())


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWT with `alg: none` and no signature."""
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


@dataclass
class DPoPKey:
    """A client's key pair for DPoP, and proofs made with it."""

    alg: str = "ES256"
    private: Any = None

    def __post_init__(self) -> None:
        if self.private is None:
            self.private = {
                "ES256": new_ec_key,
                "RS256": new_rsa_key,
                "PS256": new_rsa_key,
                "EdDSA": ed25519.Ed25519PrivateKey.generate,
            }[self.alg]()

    @property
    def public_jwk(self) -> dict[str, Any]:
        return self._jwk(self.private.public_key())

    @property
    def private_jwk(self) -> dict[str, Any]:
        return self._jwk(self.private)

    @property
    def thumbprint(self) -> str:
        return thumbprint(self.public_jwk)

    def _jwk(self, key: Any) -> dict[str, Any]:
        if self.alg == "EdDSA":
            return OKPAlgorithm.to_jwk(key, as_dict=True)
        if self.alg == "ES256":
            return ECAlgorithm.to_jwk(key, as_dict=True)
        return RSAAlgorithm.to_jwk(key, as_dict=True)

    def claims(
        self, method: str, url: str, token: str, iat: datetime | None, **changes: Any
    ) -> dict:
        """A proof's claims; a change to None (or no `iat`) leaves that claim out."""
        claims = {
            "jti": uuid.uuid4().hex,
            "htm": method,
            "htu": url,
            "iat": None if iat is None else int(iat.timestamp()),
            "ath": ath(token),
            **changes,
        }
        return {name: value for name, value in claims.items() if value is not None}

    def proof(
        self,
        method: str,
        url: str,
        token: str,
        *,
        iat: datetime | None,
        headers: dict[str, Any] | None = None,
        **changes: Any,
    ) -> str:
        """A proof for one request, signed with this key, its public JWK in the header."""
        header = {"typ": "dpop+jwt", "jwk": self.public_jwk, **(headers or {})}
        return jwt.encode(
            self.claims(method, url, token, iat, **changes),
            self.private,
            algorithm=self.alg,
            headers=header,
        )
