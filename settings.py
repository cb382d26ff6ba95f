"""Configuration read from the environment (TILPASS_*), in one place."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///tilpass.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("auto", "json", "console")
TRUSTED_DOCUMENTS = ("optional", "required")
TRACES_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
PRODUCTION_SETTINGS = ("TILPASS_JWKS_URL", "TILPASS_ISSUER", "TILPASS_AUDIENCE")
HELSEID_SETTINGS = (
    "TILPASS_HELSEID_AUTHORITY",
    "TILPASS_HELSEID_CLIENT_ID",
    "TILPASS_HELSEID_CLIENT_KEY",
)
DPOP_MODES = ("optional", "required")
# The guide's links for GPs on the admin page: «Helsenorge for fastleger» under the heading, and
# the guide to registering absences on "Fravær". NHN's addresses move with its site, so they are
# settings (TILPASS_HELP_URL, TILPASS_ABSENCE_GUIDE_URL), not text in the page.
DEFAULT_HELP_URL = (
    "https://www.nhn.no/nasjonale-e-helselosninger/helsenorge/digital-dialog-med-fastlegen"
)
DEFAULT_ABSENCE_GUIDE_URL = (
    "https://www.nhn.no/nasjonale-e-helselosninger/helsenorge/digital-dialog-med-fastlegen/"
    "kom-i-gang-med-digital-dialog-pa-ditt-legekontor"
)
# What to do about development mode that nobody chose, on an address others can reach.
DEFAULTED_DEVELOPMENT_WAY_OUT = (
    "TILPASS_ENV er ikke satt, så utviklingsmodus er bare standardvalget. Sett "
    "TILPASS_ENV=development uttrykkelig for å godta det (bare på et nett du stoler på), "
    "eller kjør med produksjonsinnstillingene (TILPASS_ENV=production og "
    f"{', '.join(PRODUCTION_SETTINGS)})."
)


class SettingsError(SystemExit):
    """A setting that makes the service refuse to start; the message says which and why.
    A SystemExit, so that a command or `uvicorn app:app` stops with just that message."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    env: str = "development"
    # True when TILPASS_ENV was not given at all: development then only by default, which is
    # served to this machine alone (development hands out tokens for any GP).
    env_defaulted: bool = False
    # HelseID, production only.
    jwks_url: str = ""
    issuer: str = ""
    audience: str = ""
    # What one request may ask of the service.
    max_body_bytes: int = 65_536
    max_depth: int = 10
    max_tokens: int = 2_000
    max_aliases: int = 30
    # Browser origins other than the service's own that may call the API (the admin page's).
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    # How many practices the patient view's read model holds (least recently read go first).
    read_model_practices: int = 20_000
    # `auto`: readable lines in development on a terminal, JSON lines everywhere else.
    log_format: str = "auto"
    # `required`: only documents of the manifests run (trusted documents).
    trusted_documents: str = "optional"
    # Manifests beside the pages' own (Apollo's persisted-query manifest format).
    persisted_documents: tuple[Path, ...] = ()
    # OpenTelemetry traces over OTLP/HTTP: on when an endpoint is set (OTEL_* settings).
    tracing: bool = False
    # While the database cannot be reached, patients get the last known state this long.
    stale_for_seconds: int = 300
    # Connecting to the database, and each statement, may take this long (PostgreSQL).
    database_timeout_seconds: int = 5
    # Open connections (idle ones included) and requests in progress that `tilpass serve`
    # takes at once; beyond that uvicorn answers 503. A bound on memory, not on slow clients:
    # uvicorn has no read timeout, so a proxy in front must set those (README).
    max_connections: int = 1_000
    # Signing GPs in with HelseID on the admin page: the three together, or none.
    helseid_authority: str = ""
    helseid_client_id: str = ""
    helseid_client_key: Path | None = None
    # The service's address as browsers and API clients see it: the redirect URIs, the
    # session cookie's Secure and __Host- (https), DPoP's `htu`.
    public_url: str = ""
    session_idle_minutes: int = 60
    session_hours: int = 10
    # `required`: the API takes only DPoP-bound tokens.
    dpop: str = "optional"
    # `tilpass sync-registry`: the bearer token for a FHIR server (never shown), and a file
    # for node_exporter's textfile collector, where each sync leaves its counts.
    registry_token: str = field(default="", repr=False)
    registry_metrics_file: Path | None = None
    # Shared caches (Varnish, a CDN) every change of a practice is purged from.
    purge_urls: tuple[str, ...] = ()
    # Links on the admin page (DEFAULT_HELP_URL).
    help_url: str = DEFAULT_HELP_URL
    absence_guide_url: str = DEFAULT_ABSENCE_GUIDE_URL
    # TILPASS_COMPILED_READS=off: every patient read takes graphql-core's executor and the
    # whole stack (no schema/plain_reads.py, no edge/fast_reads.py), should those be in doubt.
    compiled_reads: bool = True

    @property
    def helseid(self) -> bool:
        return bool(self.helseid_authority)

    @property
    def documents_required(self) -> bool:
        return self.trusted_documents == "required"

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of an SQLite URL; None for PostgreSQL or an in-memory database."""
        if not self.database_url.startswith("sqlite"):
            return None
        _, _, path = self.database_url.partition(":///")
        path = path.split("?", 1)[0]
        if not path or path == ":memory:":
            return None
        return Path(path)

    def production_problems(self) -> list[str]:
        """What keeps these settings from running in production (nothing in development)."""
        if not self.production:
            return []
        given = dict(
            zip(PRODUCTION_SETTINGS, (self.jwks_url, self.issuer, self.audience), strict=True)
        )
        missing = [name for name, value in given.items() if not value]
        problems = []
        if missing:
            problems.append(f"Produksjon krever innstillingene {', '.join(missing)} (HelseID).")
        if self.jwks_url and not self.jwks_url.startswith(("https://", "file://")):
            problems.append("TILPASS_JWKS_URL må begynne med https:// eller file://.")
        return problems

    def require_production_ready(self) -> None:
        """Raises SettingsError, naming every problem, unless these settings may run."""
        problems = self.production_problems()
        if problems:
            raise SettingsError(" ".join(problems))

    @property
    def loopback_only(self) -> bool:
        """Development that nobody asked for: only clients on this machine may use it."""
        return self.env_defaulted and not self.production

    def require_safe_address(self, host: str) -> None:
        """Raises SettingsError if serving on `host` would offer defaulted development mode
        (POST /dev/token for any GP, /dev/practitioners) to other machines."""
        if self.loopback_only and not is_loopback(host):
            raise SettingsError(
                f"Nekter å kjøre utviklingsmodus på {host or 'alle adresser'}: der kan alle som "
                "når maskinen, hente utviklingstokener for enhver behandler (POST /dev/token), "
                "endre legekontorenes innstillinger og se alle behandlere og hvor de jobber "
                "(/dev/practitioners). Bruk --host 127.0.0.1 for bare denne maskinen. "
                + DEFAULTED_DEVELOPMENT_WAY_OUT
            )


def is_loopback(host: str) -> bool:
    """Whether `host` is an address of this machine only: 127.0.0.0/8, ::1 (an IPv4-mapped
    127.x too) or the name localhost. Any other name may resolve to anything, so it is not."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def normalise_database_url(url: str) -> str:
    """Lets users write plain sqlite:// or postgresql:// URLs; the service always runs async drivers."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgres://")
    return url


def _positive(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise SettingsError(f"{name} må være et positivt heltall, ikke {text!r}.")
    return int(text)


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(origin.strip().rstrip("/") for origin in text.split(",") if origin.strip())
    for origin in origins:
        if not origin.startswith(("https://", "http://")):
            raise SettingsError(
                f"TILPASS_CORS_ORIGINS skal være opphav som https://admin.example.no, ikke {origin!r}."
            )
    return origins


def _log_level(level: str) -> str:
    if level not in LOG_LEVELS:
        raise SettingsError(
            f"TILPASS_LOG_LEVEL må være en av {', '.join(LOG_LEVELS)}, ikke {level!r}."
        )
    return level


def _log_format(text: str) -> str:
    log_format = text.strip().lower() or "auto"
    if log_format not in LOG_FORMATS:
        raise SettingsError(
            f"TILPASS_LOG_FORMAT må være en av {', '.join(LOG_FORMATS)}, ikke {text!r}."
        )
    return log_format


def _trusted_documents(text: str) -> str:
    mode = text.strip().lower() or "optional"
    if mode not in TRUSTED_DOCUMENTS:
        raise SettingsError(
            f"TILPASS_TRUSTED_DOCUMENTS må være en av {', '.join(TRUSTED_DOCUMENTS)}, ikke {text!r}."
        )
    return mode


def _paths(text: str) -> tuple[Path, ...]:
    return tuple(Path(part.strip()) for part in text.split(",") if part.strip())


def _tracing(environ: Mapping[str, str]) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in TRACES_ENDPOINTS)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    given = environ.get("TILPASS_ENV", "").strip().lower()
    env = given or "development"
    if env not in ("development", "production"):
        raise SystemExit(f"TILPASS_ENV må være 'development' eller 'production', ikke {env!r}.")
    url = normalise_database_url(environ.get("TILPASS_DATABASE_URL", "") or DEFAULT_DATABASE_URL)
    defaults = Settings()
    return Settings(
        database_url=url,
        env=env,
        env_defaulted=not given,
        jwks_url=environ.get("TILPASS_JWKS_URL", "").strip(),
        issuer=environ.get("TILPASS_ISSUER", "").strip(),
        audience=environ.get("TILPASS_AUDIENCE", "").strip(),
        max_body_bytes=_positive(environ, "TILPASS_MAX_BODY_BYTES", defaults.max_body_bytes),
        max_depth=_positive(environ, "TILPASS_MAX_DEPTH", defaults.max_depth),
        max_tokens=_positive(environ, "TILPASS_MAX_TOKENS", defaults.max_tokens),
        max_aliases=_positive(environ, "TILPASS_MAX_ALIASES", defaults.max_aliases),
        cors_origins=_origins(environ.get("TILPASS_CORS_ORIGINS", "")),
        log_level=_log_level(environ.get("TILPASS_LOG_LEVEL", "").strip().upper() or "INFO"),
        log_format=_log_format(environ.get("TILPASS_LOG_FORMAT", "")),
        trusted_documents=_trusted_documents(environ.get("TILPASS_TRUSTED_DOCUMENTS", "")),
        persisted_documents=_paths(environ.get("TILPASS_PERSISTED_DOCUMENTS", "")),
        tracing=_tracing(environ),
        compiled_reads=environ.get("TILPASS_COMPILED_READS", "on").strip().lower()
        not in ("off", "0", "false", "no"),
        read_model_practices=_positive(
            environ, "TILPASS_READ_MODEL_PRACTICES", defaults.read_model_practices
        ),
        stale_for_seconds=_positive(
            environ, "TILPASS_STALE_FOR_SECONDS", defaults.stale_for_seconds
        ),
        database_timeout_seconds=_positive(
            environ, "TILPASS_DATABASE_TIMEOUT_SECONDS", defaults.database_timeout_seconds
        ),
        max_connections=_positive(environ, "TILPASS_MAX_CONNECTIONS", defaults.max_connections),
        **_sign_in(environ, production=env == "production"),
        session_idle_minutes=_positive(
            environ, "TILPASS_SESSION_IDLE_MINUTES", defaults.session_idle_minutes
        ),
        session_hours=_positive(environ, "TILPASS_SESSION_HOURS", defaults.session_hours),
        dpop=_dpop(environ.get("TILPASS_DPOP", "")),
        registry_token=environ.get("TILPASS_REGISTRY_TOKEN", "").strip(),
        registry_metrics_file=_path(environ.get("TILPASS_REGISTRY_METRICS_FILE", "")),
        purge_urls=_purge_urls(environ.get("TILPASS_PURGE_URLS", "")),
        help_url=_link(environ, "TILPASS_HELP_URL", defaults.help_url),
        absence_guide_url=_link(environ, "TILPASS_ABSENCE_GUIDE_URL", defaults.absence_guide_url),
    )


def _link(environ: Mapping[str, str], name: str, default: str) -> str:
    """An address the admin page links to; http(s) only, since the page puts it in an href
    (a javascript: address there would run in the GP's session)."""
    url = environ.get(name, "").strip()
    if not url:
        return default
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name} må være en http(s)-adresse (f.eks. {default}), ikke {url!r}.")
    return url


def _purge_urls(text: str) -> tuple[str, ...]:
    urls = tuple(part.strip() for part in text.split(",") if part.strip())
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                f"TILPASS_PURGE_URLS: {url!r} er ingen http(s)-adresse (f.eks. http://varnish:6081)."
            )
    return urls


def _path(text: str) -> Path | None:
    return Path(text.strip()) if text.strip() else None


def _dpop(text: str) -> str:
    mode = text.strip().lower() or "optional"
    if mode not in DPOP_MODES:
        raise SettingsError(f"TILPASS_DPOP må være 'optional' eller 'required', ikke {text!r}.")
    return mode


def _address(name: str, value: str, *, production: bool) -> str:
    """A base URL that must be https://, or http:// on this machine outside production."""
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        if production:
            raise SettingsError(f"{name} må begynne med https:// i produksjon.")
        return value
    raise SettingsError(
        f"{name} må begynne med https:// (http:// bare på 127.0.0.1 eller localhost)."
    )


def _sign_in(environ: Mapping[str, str], *, production: bool) -> dict[str, object]:
    """The HelseID settings, checked together: all three or none, and a public URL with them."""
    given = {name: environ.get(name, "").strip() for name in HELSEID_SETTINGS}
    public_url = environ.get("TILPASS_PUBLIC_URL", "").strip()
    found = {
        "public_url": _address("TILPASS_PUBLIC_URL", public_url, production=production)
        if public_url
        else ""
    }
    if not any(given.values()):
        return found
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise SettingsError(
            f"{', '.join(HELSEID_SETTINGS)} må settes sammen; mangler {', '.join(missing)}."
        )
    if not public_url:
        raise SettingsError(
            "Innlogging med HelseID trenger TILPASS_PUBLIC_URL: tjenestens adresse slik "
            "nettleserne ser den (f.eks. https://tilpass.example.no)."
        )
    authority, client_id, client_key = given.values()
    found.update(
        helseid_authority=_address("TILPASS_HELSEID_AUTHORITY", authority, production=production),
        helseid_client_id=client_id,
        helseid_client_key=Path(client_key),
    )
    return found
