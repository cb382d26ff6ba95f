"""DPoP (RFC 9449) at the API: a token bound to the client's key, and a proof signed with that
key for each request, so that a token copied on its way is of no use without the key.

The checks are pure functions of the proof, the request and the service's clock; only the
replay check (`first_use`) needs the database, so that no instance sharing it accepts a proof
twice. The signature and the key's RFC 7638 thumbprint are jwskate's, the library
requests-oauth2client makes the login's own DPoP proofs with (auth/helseid.py): one library
for both sides, with thumbprints built in (PyJWT has none).

What is wrong is said in Norwegian for the GraphQL error, in general terms; the HTTP answer
carries a `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1) that identity code leaves on the
request's scope for the GraphQL layer (auth/ and edge/ may not import each other)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jwskate

from models.database import Database
from models.sessions import first_use_of_proof

# Asymmetric signatures only: an HMAC "proof" would need a secret the server shares, and
# `none` proves nothing.
ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA")
# How far a proof's `iat` may be from the service's clock, either way.
WINDOW = timedelta(seconds=60)
# A jti is remembered while its proof could still be accepted (a proof dated a WINDOW ahead is
# good until a WINDOW after that), and a WINDOW more for instances whose clocks differ.
REMEMBER = 3 * WINDOW
# The members that make a JWK a private (or symmetric) key (RFC 7518 §6).
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
KEY_TYPES = frozenset({"EC", "RSA", "OKP"})
MIN_RSA_BITS = 2048
# Far above any honest proof (an RSA-4096 key makes one of about 2 KB); a bound on work.
MAX_PROOF_CHARS = 8_192
DEFAULT_PORTS = {"http": 80, "https": 443}
UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]")
PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")

# Where identity code leaves the challenge for edge/graphql_over_http.py, which puts it on
# the response (the same name is written there).
CHALLENGE_KEY = "tilpass.www_authenticate"
INVALID_PROOF = "invalid_dpop_proof"
INVALID_TOKEN = "invalid_token"

PROOF_PREFIX = "DPoP-beviset er ugyldig: "
MISSING = "DPoP-beviset mangler: send én DPoP-header med et bevis laget for denne forespørselen."
SEVERAL = PROOF_PREFIX + "forespørselen må ha nøyaktig én DPoP-header."
NOT_A_JWT = PROOF_PREFIX + "det er ikke en signert JWT."
WRONG_TYP = PROOF_PREFIX + "typ må være dpop+jwt."
WRONG_ALG = PROOF_PREFIX + f"alg må være en av {', '.join(ALGORITHMS)}."
NOT_A_PUBLIC_KEY = (
    PROOF_PREFIX + "jwk må være én offentlig nøkkel (EC, RSA eller OKP) uten private deler."
)
BAD_SIGNATURE = PROOF_PREFIX + "signaturen stemmer ikke med nøkkelen i jwk."
WRONG_METHOD = PROOF_PREFIX + "htm er ikke forespørselens metode."
WRONG_URL = PROOF_PREFIX + "htu er ikke adressen forespørselen ble sendt til."
STALE = PROOF_PREFIX + "iat mangler eller er mer enn 60 sekunder fra tjenestens klokke."
NO_JTI = PROOF_PREFIX + "jti mangler."
WRONG_ATH = PROOF_PREFIX + "ath stemmer ikke med tilgangstokenet."
REPLAYED = PROOF_PREFIX + "beviset er brukt før; lag et nytt bevis for hver forespørsel."
OTHER_KEY = "Tokenet er bundet til en annen nøkkel enn den som signerte DPoP-beviset."
UNBOUND = (
    "Tokenet er ikke bundet til en DPoP-nøkkel (cnf.jkt mangler), og kan ikke sendes som DPoP."
)


class Refused(Exception):
    """A DPoP request that fails a check: the message for the client, and the challenge's
    error code (`invalid_dpop_proof`, or `invalid_token` when the token is what is wrong)."""

    def __init__(self, message: str, error: str = INVALID_PROOF) -> None:
        super().__init__(message)
        self.message, self.error = message, error


@dataclass(frozen=True)
class Proof:
    """What a checked proof tells the rest: its id, and the thumbprint of the key it proves."""

    jti: str
    thumbprint: str


def challenge(error: str) -> str:
    """The `WWW-Authenticate` value of a refusal (RFC 9449 §7.1)."""
    return f'DPoP error="{error}", algs="{" ".join(ALGORITHMS)}"'


def one_proof(values: list[str]) -> str:
    """The proof of a request's DPoP headers: there must be exactly one (RFC 9449 §4.3)."""
    if not values:
        raise Refused(MISSING)
    if len(values) > 1:
        raise Refused(SEVERAL)
    return values[0].strip()


def access_token_hash(token: str) -> str:
    """`ath`: base64url of the SHA-256 of the access token, without padding."""
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def request_htu(*, public_url: str, path: str, own_url: str) -> str:
    """The `htu` a proof must name: the public URL plus the path when the service knows its
    public address (behind a proxy the request's own URL may be an internal one), else the
    URL the request came to."""
    return public_url + path if public_url else own_url


def check_proof(proof: str, *, method: str, htu: str, access_token: str, now: datetime) -> Proof:
    """Checks a proof as RFC 9449 §4.3 says, but for the jti's first use (`first_use`).
    Refused when it fails any check."""
    signed, headers = _parsed(proof)
    if headers.get("typ") != "dpop+jwt":
        raise Refused(WRONG_TYP)
    alg = headers.get("alg")
    if alg not in ALGORITHMS:
        raise Refused(WRONG_ALG)
    if "crit" in headers:
        # No extension is understood here, so none may be critical (RFC 7515 §4.1.11).
        raise Refused(NOT_A_JWT)
    key = _public_key(headers.get("jwk"), alg)
    try:
        verified = signed.verify_signature(key, alg=alg)
    except Exception:
        # A key that cannot make this algorithm's signatures (an RSA key under ES256, a P-384
        # key under ES256): no proof either.
        verified = False
    if not verified:
        raise Refused(BAD_SIGNATURE)
    claims = signed.claims
    if not isinstance(claims, dict):
        raise Refused(NOT_A_JWT)
    if claims.get("htm") != method:
        raise Refused(WRONG_METHOD)
    if not same_resource(claims.get("htu"), htu):
        raise Refused(WRONG_URL)
    if not _fresh(claims.get("iat"), now):
        raise Refused(STALE)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise Refused(NO_JTI)
    ath = claims.get("ath")
    if not isinstance(ath, str) or not hmac.compare_digest(ath, access_token_hash(access_token)):
        raise Refused(WRONG_ATH)
    return Proof(jti=jti, thumbprint=key.thumbprint())


def check_binding(claims: dict[str, Any], proof: Proof) -> None:
    """The token must be bound (`cnf.jkt`) to the key that signed the proof."""
    jkt = bound_thumbprint(claims)
    if jkt is None:
        raise Refused(UNBOUND, INVALID_TOKEN)
    if not hmac.compare_digest(jkt, proof.thumbprint):
        raise Refused(OTHER_KEY, INVALID_TOKEN)


def bound_thumbprint(claims: dict[str, Any]) -> str | None:
    """The thumbprint of the key a token is bound to (`cnf.jkt`, RFC 9449 §6.1), if any."""
    confirmation = claims.get("cnf")
    jkt = confirmation.get("jkt") if isinstance(confirmation, dict) else None
    return jkt if isinstance(jkt, str) and jkt.isascii() else None


def is_bound(claims: dict[str, Any]) -> bool:
    """Whether the token says it may be used only with proof of a key (`cnf`, RFC 7800):
    such a token is never accepted as a bare bearer token, whatever the key."""
    return "cnf" in claims


async def first_use(db: Database, proof: Proof, now: datetime) -> bool:
    """Records the proof's jti (as a SHA-256) for every instance on the database; False when
    one of them has accepted it already."""
    jti_hash = hashlib.sha256(proof.jti.encode("utf-8")).hexdigest()
    async with db.write() as session:
        return await first_use_of_proof(
            session=session, jti_hash=jti_hash, moment=now, forget_before=now - REMEMBER
        )


def same_resource(claimed: object, expected: str) -> bool:
    """Whether `htu` names the expected URI, both without query and fragment and after
    RFC 3986 §6.2.2's normalisation (scheme and host case, default port, percent-encoding,
    dot segments), as RFC 9449 §4.3 asks."""
    if not isinstance(claimed, str):
        return False
    ours = _normal_uri(expected)
    return ours is not None and _normal_uri(claimed) == ours


# --- the pieces -----------------------------------------------------------------------------


def _parsed(proof: str) -> tuple[jwskate.SignedJwt, dict[str, Any]]:
    if not proof or len(proof) > MAX_PROOF_CHARS or not proof.isascii():
        raise Refused(NOT_A_JWT)
    try:
        signed = jwskate.SignedJwt(proof)
    except Exception:
        raise Refused(NOT_A_JWT) from None
    if not isinstance(signed.headers, dict):
        raise Refused(NOT_A_JWT)
    return signed, signed.headers


def _public_key(jwk: object, alg: str) -> jwskate.Jwk:
    if not isinstance(jwk, dict) or jwk.get("kty") not in KEY_TYPES:
        raise Refused(NOT_A_PUBLIC_KEY)
    if PRIVATE_MEMBERS & jwk.keys():
        raise Refused(NOT_A_PUBLIC_KEY)
    if jwk.get("alg", alg) != alg or jwk.get("use", "sig") != "sig":
        raise Refused(NOT_A_PUBLIC_KEY)
    try:
        key = jwskate.Jwk(jwk)
    except Exception:
        raise Refused(NOT_A_PUBLIC_KEY) from None
    if key.is_private or key.is_symmetric:
        raise Refused(NOT_A_PUBLIC_KEY)
    if isinstance(key, jwskate.RSAJwk) and key.key_size < MIN_RSA_BITS:
        raise Refused(NOT_A_PUBLIC_KEY)
    return key


def _fresh(iat: object, now: datetime) -> bool:
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        return False
    return abs(iat - now.timestamp()) <= WINDOW.total_seconds()


def _normal_uri(uri: str) -> tuple[str, str, int | None, str] | None:
    try:
        parts = urlsplit(uri.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    if port == DEFAULT_PORTS[scheme]:
        port = None
    return scheme, parts.hostname.lower(), port, _normal_path(parts.path)


def _normal_path(path: str) -> str:
    path = PERCENT.sub(_normal_percent, path) or "/"
    # RFC 3986 §5.2.4, for the absolute paths of http(s) URIs.
    segments: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if segments:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    trailing = path.endswith(("/.", "/.."))
    return "/" + "/".join(segments) + ("/" if trailing and segments else "")


def _normal_percent(match: re.Match[str]) -> str:
    char = chr(int(match.group(0)[1:], 16))
    return char if UNRESERVED.fullmatch(char) else match.group(0).upper()
