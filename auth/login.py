"""The HelseID login as the service runs it, from `/auth/login` to a session, knowing nothing
of HTTP (web/signin.py turns its outcomes into pages and redirects).

A login under way is kept in the database with the request it pushed, so that any instance can
take its callback; it is bound to the browser that started it (a random value in a cookie whose
hash is stored), taken once (a replayed callback finds nothing) and forgotten after ten
minutes. A login that passes every check becomes a new session only for a GP with an HPR
number, assurance level high and a place in the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from auth.helseid import REQUIRED_ASSURANCE, HelseIdClient, LoginRefused, read_client_key
from auth.sessions import SessionPolicy, digest, finish_session, new_secret, start_session
from models.database import Database
from models.practices import get_practitioner
from models.sessions import LoginAttempt, add_attempt, drop_attempts_before, take_attempt
from settings import Settings, SettingsError

ATTEMPT_LIFETIME = timedelta(minutes=10)
MAX_NEXT_LENGTH = 1_000


def safe_next(value: str | None) -> str:
    """A path of this service to return to after the login; "/" for anything else (another
    host, a scheme, `//host`, a backslash that browsers read as a slash, control characters)."""
    if (
        not value
        or len(value) > MAX_NEXT_LENGTH
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(character) < 0x20 or ord(character) == 0x7F for character in value)
        or value.startswith("/auth/")
    ):
        return "/"
    return value


@dataclass(frozen=True)
class Begun:
    authorize_url: str
    # The value of the login cookie that binds the login to this browser.
    browser_secret: str


@dataclass(frozen=True)
class SignedIn:
    session_secret: str
    next_path: str


@dataclass
class SignIn:
    db: Database
    client: HelseIdClient
    policy: SessionPolicy
    clock: Callable[[], datetime]

    async def begin(self, next_path: str | None) -> Begun:
        """Pushes a new authorization request. HelseIdUnavailable when the provider is down."""
        started = await self.client.start()
        browser_secret = new_secret()
        now = self.clock()
        async with self.db.write() as session:
            await drop_attempts_before(session=session, moment=now - ATTEMPT_LIFETIME)
            await add_attempt(
                session=session,
                attempt=LoginAttempt(
                    state_hash=digest(started.state),
                    browser_hash=digest(browser_secret),
                    request=started.saved_request,
                    next_path=safe_next(next_path),
                    started_at=now,
                ),
            )
        return Begun(authorize_url=started.authorize_url, browser_secret=browser_secret)

    async def complete(
        self, *, state: str | None, browser_secret: str | None, query_string: str
    ) -> SignedIn:
        """The callback: LoginRefused with the reason when anything is wrong, a new session
        otherwise. HelseIdUnavailable when the provider does not answer."""
        if not state:
            raise LoginRefused("invalid")
        async with self.db.write() as session:
            attempt = await take_attempt(session=session, state_hash=digest(state))
        now = self.clock()
        if attempt is None or attempt.started_at + ATTEMPT_LIFETIME <= now:
            raise LoginRefused("invalid")  # forged, replayed or stale
        if browser_secret is None or digest(browser_secret) != attempt.browser_hash:
            raise LoginRefused("other_browser")
        callback_url = f"{self.client.redirect_uri}?{query_string}"
        identity = await self.client.finish(attempt.request, callback_url)
        if identity.hpr_number is None:
            raise LoginRefused("no_hpr")
        if identity.assurance_level != REQUIRED_ASSURANCE:
            raise LoginRefused("low_assurance")
        async with self.db.read() as session:
            practitioner = await get_practitioner(session=session, hpr_number=identity.hpr_number)
        if practitioner is None:
            raise LoginRefused("not_registered")
        secret = await start_session(
            self.db,
            self.policy,
            hpr_number=identity.hpr_number,
            name=practitioner.name or identity.name,
            id_token=identity.id_token,
            now=now,
        )
        return SignedIn(session_secret=secret, next_path=attempt.next_path)

    async def end(self, session_secret: str | None) -> str:
        """Ends the session everywhere; where the browser goes next (the provider's logout
        when it has one, else the front page)."""
        if session_secret:
            ended = await finish_session(self.db, session_secret)
            if ended is not None:
                try:
                    url = await self.client.end_session_url(ended.id_token)
                except Exception:
                    # The session is gone here whatever the provider says; signing out there
                    # too is a courtesy that must not keep the GP signed in.
                    url = None
                if url is not None:
                    return url
        return "/"


def sign_in_for(settings: Settings, db: Database, clock: Callable[[], datetime]) -> SignIn | None:
    """The HelseID login the settings describe; None without HelseID settings. SettingsError
    when the client's key cannot be used."""
    path = settings.helseid_client_key
    if not settings.helseid or path is None:
        return None
    try:
        key = read_client_key(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"TILPASS_HELSEID_CLIENT_KEY: fant ikke {path} ({exc}).") from None
    except ValueError as exc:
        raise SettingsError(f"TILPASS_HELSEID_CLIENT_KEY: nøkkelen i {path} {exc}.") from None
    client = HelseIdClient(
        authority=settings.helseid_authority,
        client_id=settings.helseid_client_id,
        client_key=key,
        public_url=settings.public_url,
        testing=settings.helseid_authority.startswith("http://"),
    )
    policy = SessionPolicy(
        public_url=settings.public_url,
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_hours),
    )
    return SignIn(db=db, client=client, policy=policy, clock=clock)
