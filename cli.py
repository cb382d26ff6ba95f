"""The `tilpass` command: serve, import-registry, sync-registry, seed-demo, token, helseid-key,
export-schema, export-documents."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import jwskate
from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from auth.tokens import development_tokens
from edge.documents import read_manifest
from edge.http_protocol import CoalescingHttpToolsProtocol
from edge.logs import configure_logging
from models.catalog import load_catalog
from models.database import Database
from resolvers.registry import ImportResult, RegistryError, import_registry, parse_registry
from resolvers.registry_fhir import OSLO, RegistryInput, read_bundles
from resolvers.registry_source import load_pages
from resolvers.registry_sync import ACTIONS, KINDS, SyncPlan, sync_registry
from settings import Settings, SettingsError, load_settings

T = TypeVar("T")
sync_log = logging.getLogger("tilpass.registry")

# How uvicorn itself bounds clients, beside TILPASS_MAX_CONNECTIONS. It has no timeout for
# reading a request and httptools no bound on its headers: a proxy in front sets those (README).
KEEP_ALIVE_SECONDS = 5  # uvicorn's default, stated: an idle connection closes after a response
BACKLOG = 2_048  # connections waiting to be accepted (the kernel's somaxconn may lower it)
# On SIGTERM, requests in progress get this long; a client trickling its body cannot hold the
# shutdown forever (uvicorn's default is to wait without end).
SHUTDOWN_SECONDS = 10
# Read by h11 only, which uvicorn falls back to when httptools is missing.
MAX_HEADER_BYTES = 16_384
# HelseID takes RSA and EC client keys. RS256 by default: it is what HelseID's own documentation
# and examples use, so every tool on the way knows it; the key signs a few assertions per
# login, where RSA's size and speed do not matter. ES256 (P-256) for those who prefer it.
CLIENT_KEY_ALGORITHMS = ("RS256", "ES256")
RSA_BITS = 2048


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tilpass", description="Tilpass Helsenorge")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="kjør API-et (GraphQL på /graphql)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)

    registry = commands.add_parser(
        "import-registry", help="importer praksiser og behandlere (JSON)"
    )
    registry.add_argument("file", type=Path)

    sync = commands.add_parser(
        "sync-registry",
        help="hent legekontor, behandlere og tilknytninger fra HPR og Adresseregisteret (FHIR R4)",
    )
    sync.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="en fil med en FHIR Bundle, eller en http(s)://-adresse til et FHIR-søk",
    )
    sync.add_argument("--dry-run", action="store_true", help="vis endringene uten å gjøre dem")

    commands.add_parser("seed-demo", help="legg inn et demoregister")

    token = commands.add_parser("token", help="skriv ut et utviklingstoken")
    token.add_argument("--hpr", type=int, required=True, help="HPR-nummer")
    token.add_argument(
        "--jkt", help="bind tokenet til en DPoP-nøkkel (RFC 7638-tommelavtrykket av nøkkelen)"
    )

    helseid_key = commands.add_parser(
        "helseid-key",
        help="lag et nøkkelpar for HelseID-klienten: privat JWK til fil, offentlig til standard ut",
    )
    helseid_key.add_argument(
        "--out", type=Path, required=True, help="filen for den private nøkkelen"
    )
    helseid_key.add_argument("--kid", help="nøkkelens id (standard: RFC 7638-tommelavtrykket)")
    helseid_key.add_argument("--alg", choices=CLIENT_KEY_ALGORITHMS, default="RS256")

    commands.add_parser("export-schema", help="skriv GraphQL-skjemaet (SDL) til standard ut")
    commands.add_parser(
        "export-documents",
        help="skriv manifestet over sidenes GraphQL-dokumenter (persisted queries) til standard ut",
    )

    args = parser.parse_args(argv)
    settings = load_settings()
    match args.command:
        case "serve":
            return _serve(settings, args.host, args.port)
        case "import-registry":
            return _import(
                settings,
                args.file.read_text(encoding="utf-8") if args.file.exists() else None,
                str(args.file),
            )
        case "sync-registry":
            return _sync_registry(settings, args.sources, dry_run=args.dry_run)
        case "seed-demo":
            text = resources.files("models").joinpath("demo-registry.json").read_text("utf-8")
            return _import(settings, text, "demoregisteret")
        case "token":
            return _token(settings, args.hpr, args.jkt)
        case "helseid-key":
            return _helseid_key(args.out, args.kid, args.alg)
        case "export-schema":
            from schema.root import export_sdl

            sys.stdout.write(export_sdl())
            return 0
        case "export-documents":
            from web.documents import page_manifest

            sys.stdout.write(json.dumps(page_manifest(), ensure_ascii=False, indent=2) + "\n")
            return 0
    return 2


def _serve(settings: Settings, host: str, port: int) -> int:
    import uvicorn

    try:
        # Before anything is opened or created: this address may not be allowed at all.
        settings.require_safe_address(host)
        settings.require_production_ready()
        for path in settings.persisted_documents:
            read_manifest(path)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(
        settings.log_level,
        log_format=settings.log_format,
        production=settings.production,
        traced=settings.tracing,
    )
    # Upgrade before the server starts so that a migration error is reported here, plainly.
    asyncio.run(_with_database(settings, _nothing))
    uvicorn.run("app:app", host=host, port=port, **server_options(settings))
    return 0


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's settings for `tilpass serve`, but for the address."""
    return {
        # uvicorn's httptools protocol, but each response goes out in one write.
        "http": CoalescingHttpToolsProtocol,
        "proxy_headers": True,
        # Our own JSON access log (edge/logs.py) replaces uvicorn's, which would write query
        # strings, and with them GET requests' variables, to the log.
        "log_config": None,
        "access_log": False,
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "backlog": BACKLOG,
        "timeout_graceful_shutdown": SHUTDOWN_SECONDS,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    }


def _import(settings: Settings, text: str | None, name: str) -> int:
    if text is None:
        print(f"Fant ikke filen {name}.", file=sys.stderr)
        return 1
    try:
        entries = parse_registry(load_catalog(), text)
    except RegistryError as exc:
        print(f"Importen ble avbrutt, ingenting er endret: {exc}", file=sys.stderr)
        return 1

    async def run(db: Database) -> ImportResult:
        async with db.write() as session:
            return await import_registry(session=session, entries=entries)

    result = asyncio.run(_with_database(settings, run))
    print(
        f"Importerte {result.practices} legekontor, {result.practitioners} behandlere "
        f"og {result.affiliations} tilknytninger fra {name}."
    )
    return 0


def _sync_registry(settings: Settings, sources: list[str], *, dry_run: bool) -> int:
    """Reads every source, page and resource first; only an input valid as a whole is
    applied, in one transaction."""
    configure_logging(settings.log_level, log_format=settings.log_format)
    started = time.monotonic()
    try:
        pages = load_pages(sources, token=settings.registry_token or None)
        registry = read_bundles(pages, today=datetime.now(OSLO).date())
    except RegistryError as exc:
        print(f"Synkroniseringen ble avbrutt, ingenting er endret: {exc}", file=sys.stderr)
        sync_log.error("registry sync refused", extra={"reason": str(exc), "sources": sources})
        _sync_metrics(settings, None, None, time.monotonic() - started)
        return 1
    offered = [service.code for service in load_catalog().services]

    async def run(db: Database) -> SyncPlan:
        return await sync_registry(db=db, registry=registry, offered=offered, dry_run=dry_run)

    plan = asyncio.run(_with_database(settings, run))
    for change in plan.changes if dry_run else ():
        print(change.line())
    read = f"{registry.resources} ressurser lest"
    if registry.skipped:
        others = ", ".join(f"{n} {kind}" for kind, n in sorted(registry.skipped.items()))
        read += f", andre hoppet over ({others})"
    outcome = "ville blitt endret" if dry_run else "endret"
    if not plan.changes:
        print(f"Registeret er allerede i takt med kilden ({read}): ingenting {outcome}.")
    else:
        print(
            f"{'Prøvekjøring, ingenting er endret' if dry_run else 'Synkronisert'} ({read}). "
            f"{plan.summary()}."
        )
    sync_log.info(
        "registry sync",
        extra={
            "dry_run": dry_run,
            "resources": registry.resources,
            "skipped": dict(registry.skipped),
            "counts": {f"{kind}_{action}": n for (kind, action), n in plan.counts().items()},
            "changes": [change.line() for change in plan.changes] if dry_run else None,
        },
    )
    if not dry_run:
        _sync_metrics(settings, registry, plan, time.monotonic() - started)
    return 0


def _sync_metrics(
    settings: Settings, registry: RegistryInput | None, plan: SyncPlan | None, seconds: float
) -> None:
    """The sync's counts for node_exporter's textfile collector: a batch job has no /metrics
    of its own. A refused sync leaves the time of the last one that succeeded as it was."""
    path = settings.registry_metrics_file
    if path is None:
        return
    metrics = CollectorRegistry()
    now = time.time()
    Gauge(
        "tilpass_registry_sync_last_run_timestamp_seconds",
        "Last sync, UNIX time.",
        registry=metrics,
    ).set(now)
    Gauge(
        "tilpass_registry_sync_success",
        "1 if the last sync was applied, 0 if refused.",
        registry=metrics,
    ).set(0 if plan is None else 1)
    Gauge(
        "tilpass_registry_sync_duration_seconds", "How long the last sync took.", registry=metrics
    ).set(seconds)
    last_success = Gauge(
        "tilpass_registry_sync_last_success_timestamp_seconds",
        "Last sync that was applied, UNIX time.",
        registry=metrics,
    )
    last_success.set(now if plan is not None else _previous_success(path))
    if registry is not None and plan is not None:
        Gauge(
            "tilpass_registry_sync_resources",
            "FHIR resources read by the last sync.",
            registry=metrics,
        ).set(registry.resources)
        changed = Gauge(
            "tilpass_registry_sync_changes",
            "Changes made by the last sync.",
            ["kind", "action"],
            registry=metrics,
        )
        counts = plan.counts()
        for kind in KINDS:
            for action in ACTIONS:
                changed.labels(kind, action).set(counts[kind, action])
    try:
        write_to_textfile(str(path), metrics)
    except OSError as exc:
        sync_log.error("registry sync metrics not written", extra={"reason": exc.strerror})


def _previous_success(path: Path) -> float:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return 0.0
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == "tilpass_registry_sync_last_success_timestamp_seconds":
            return float(value)
    return 0.0


def _token(settings: Settings, hpr: int, jkt: str | None = None) -> int:
    if settings.production:
        print("Utviklingstokener kan ikke lages i produksjon.", file=sys.stderr)
        return 2

    async def issue(db: Database) -> str:
        return (await development_tokens(db, settings)).issue(hpr, jkt=jkt)

    print(asyncio.run(_with_database(settings, issue)))
    return 0


def _helseid_key(out: Path, kid: str | None, alg: str) -> int:
    """A new key pair for the HelseID client: the private JWK to `out`, readable by its owner
    alone from the first moment (created with mode 0600, never an existing file), the public
    JWK on standard output for HelseID Selvbetjening."""
    options = {"key_size": RSA_BITS} if alg == "RS256" else {}
    key = jwskate.Jwk.generate(alg=alg, **options)
    kid = kid or key.thumbprint()
    private = {**key, "kid": kid, "alg": alg, "use": "sig"}
    public = {**key.public_jwk(), "kid": kid, "alg": alg, "use": "sig"}
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(
            f"{out} finnes allerede og blir ikke overskrevet: velg en annen fil, eller flytt "
            "den gamle nøkkelen bort først.",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(f"Kunne ikke lage {out}: {exc.strerror}.", file=sys.stderr)
        return 1
    try:
        # The umask may only take permissions away; this makes the mode exactly 0600.
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(json.dumps(private, indent=2) + "\n")
    except OSError as exc:
        out.unlink(missing_ok=True)
        print(f"Kunne ikke skrive {out}: {exc.strerror}.", file=sys.stderr)
        return 1
    print(json.dumps(public, indent=2))
    print(
        f"Den private nøkkelen er lagret i {out} (bare lesbar for deg): pek "
        "TILPASS_HELSEID_CLIENT_KEY dit og del den aldri. Den offentlige nøkkelen (på standard "
        "ut) lastes opp på klienten i HelseID Selvbetjening.",
        file=sys.stderr,
    )
    return 0


async def _nothing(db: Database) -> None:
    return None


async def _with_database(settings: Settings, action: Callable[[Database], Awaitable[T]]) -> T:
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        return await action(db)
    finally:
        await db.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
