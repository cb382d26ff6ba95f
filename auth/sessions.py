"""The admin page's sign-in session: a random id in a cookie, everything else in the database.

The cookie is HttpOnly, SameSite=Lax and Path=/, and Secure with the `__Host-` prefix when the
service's public address is https. A session ends after `idle` without a request, after
`absolute` whatever happens, and at logout, on every instance at once (they all read the same
table). Only the SHA-256 of the id is stored.

A request authenticated by the cookie must come from this service's own pages: a browser sends
the cookie along with requests that other sites make (a form POST, a fetch), and Origin and
Sec-Fetch-Site are what tell them apart."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from models.database import Database
from models.sessions import (
    LoginSession,
    add_session,
    drop_sessions,
    end_session,
    find_session,
    touch_session,
)

COOKIE = "tilpass_session"
LOGIN_COOKIE = "tilpass_login"
HOST_PREFIX = "__Host-"
# A session's last-seen time is written at most this often: every admin request would
# otherwise be a write.
TOUCH_EVERY = timedelta(minutes=1)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SessionPolicy:
    """How sessions and their cookies behave for one deployment."""

    public_url: str
    idle: timedelta = timedelta(minutes=60)
    absolute: timedelta = timedelta(hours=10)

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def cookie_name(self) -> str:
        return HOST_PREFIX + COOKIE if self.secure else COOKIE

    @property
    def login_cookie_name(self) -> str:
        return HOST_PREFIX + LOGIN_COOKIE if self.secure else LOGIN_COOKIE

    @property
    def origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    def set_cookie(self, name: str, value: str, max_age: int) -> str:
        """A Set-Cookie header value; max_age 0 deletes the cookie."""
        attributes = [f"{name}={value}", "HttpOnly", "SameSite=Lax", "Path=/"]
        attributes.append(f"Max-Age={max_age}")
        if self.secure:
            attributes.append("Secure")
        return "; ".join(attributes)

    def expired(self, login: LoginSession, now: datetime) -> bool:
        return login.started_at + self.absolute <= now or login.last_seen_at + self.idle <= now


async def start_session(
    db: Database, policy: SessionPolicy, *, hpr_number: int, name: str, id_token: str, now: datetime
) -> str:
    """A new session (always a new id: no id from before the login is reused); its cookie value."""
    secret = new_secret()
    async with db.write() as session:
        await drop_sessions(
            session=session, started_before=now - policy.absolute, seen_before=now - policy.idle
        )
        await add_session(
            session=session,
            login=LoginSession(
                id_hash=digest(secret),
                hpr_number=hpr_number,
                name=name,
                id_token=id_token,
                started_at=now,
                last_seen_at=now,
            ),
        )
    return secret


async def current_session(
    db: Database, policy: SessionPolicy, secret: str, *, now: datetime
) -> LoginSession | None:
    """The live session the cookie names, its idle time restarted; None when there is none."""
    id_hash = digest(secret)
    async with db.read() as session:
        login = await find_session(session=session, id_hash=id_hash)
    if login is None or policy.expired(login, now):
        return None
    if now - login.last_seen_at >= TOUCH_EVERY:
        async with db.write() as session:
            await touch_session(session=session, id_hash=id_hash, moment=now)
    return login


async def finish_session(db: Database, secret: str) -> LoginSession | None:
    """Ends the session the cookie names, for every instance; the session it was, if any."""
    async with db.write() as session:
        return await end_session(session=session, id_hash=digest(secret))


# What Sec-Fetch-Site says of a request this service's own pages made (or the GP typed).
OWN_PAGES = ("same-origin", "none")


def from_another_site(headers: Mapping[str, str], own_origin: str) -> bool:
    """Whether a browser made this request for another site's page.

    Sec-Fetch-Site decides where a browser sends it (no page can set it). The pages'
    Referrer-Policy no-referrer makes a browser send `Origin: null` with their own form posts,
    so Origin counts only where Sec-Fetch-Site is missing: then any other origin, null
    included, is refused."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.lower() not in OWN_PAGES
    origin = headers.get("origin")
    return origin is not None and origin.lower() != own_origin
