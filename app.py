"""The ASGI app: GraphQL at /graphql (GraphiQL for browsers in development), /healthz, /readyz
and /metrics, behind the middleware of edge/ (this machine only, in development by default;
traces, cache, security headers, logs, CORS, metrics, body limit), in the order listed in
`create_app`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from auth.identity import Identify, identify_request
from auth.login import SignIn, sign_in_for
from auth.tokens import TokenVerifier, token_verifier
from edge.cache import Located, PatientCache, ResponseCache
from edge.changes import DEFAULT_STALE_FOR_SECONDS, ChangeWatcher
from edge.documents import PersistedDocuments, read_manifest
from edge.fast_reads import FastReads
from edge.graphiql import graphiql_routes
from edge.graphql_over_http import GraphQLOverHTTP
from edge.limits import BodySizeLimit, schema_for
from edge.logs import RequestContext
from edge.loopback import LoopbackOnly
from edge.metrics import GraphQLMetrics, Metrics
from edge.purge import PurgeMetrics, Purger
from edge.readiness import readyz
from edge.security import SecurityHeaders, cors
from edge.tracing import Tracing
from models.catalog import Catalog, load_catalog
from models.database import Database
from resolvers.dates import Clock, system_clock
from resolvers.read_model import DEFAULT_MAX_PRACTICES, ReadModel
from schema.context import Context, no_actor
from settings import Settings, load_settings
from web.documents import page_operations
from web.routes import web_routes


def _no_purge(her_ids: list[int]) -> None:
    return None


# Objects allocated (less those freed) before the youngest generation is collected.
YOUNG_OBJECTS = 10_000


@dataclass
class Services:
    """Everything a request needs, made once per process."""

    db: Database
    catalog: Catalog
    verifier: TokenVerifier
    clock: Clock = system_clock
    cache: ResponseCache = field(default_factory=ResponseCache)
    read_model_practices: int = DEFAULT_MAX_PRACTICES
    # How long patients get the last known state while the database cannot be reached.
    stale_for: float = DEFAULT_STALE_FOR_SECONDS
    read_model: ReadModel = field(init=False)
    watcher: ChangeWatcher | None = None
    # The HelseID login of the admin page, when HelseID is configured (auth/login.py).
    sign_in: SignIn | None = None
    # Shared caches to purge at every change (TILPASS_PURGE_URLS; edge/purge.py).
    purge_urls: tuple[str, ...] = ()
    purger: Purger | None = None

    def __post_init__(self) -> None:
        self.read_model = ReadModel(
            self.db, max_practices=self.read_model_practices, on_fallback=self.answered_stale
        )

    async def start(self) -> None:
        """Starts following changes made by other instances and processes, and purging them
        from the shared caches."""
        if self.purge_urls and self.purger is None:
            self.purger = Purger(self.purge_urls)
        if self.purger is not None:
            self.purger.start()
        self.watcher = ChangeWatcher(
            self.db,
            self.cache,
            self.read_model,
            stale_for=self.stale_for,
            on_unreachable=self.unreachable,
            on_change=self.purger.changed if self.purger is not None else _no_purge,
        )
        await self.watcher.start()

    def answered_stale(self, her_id: int) -> None:
        """A patient answer rests on the practice's last known state, which is outdated (the
        database could not be reached to load it anew): the response cache must not keep it,
        or it would outlive the outage."""
        self.cache.invalidate([her_id])

    def unreachable(self, unreachable: bool) -> None:
        self.read_model.unreachable = unreachable

    def shareable(self) -> bool:
        """Whether answers may go to shared caches: only while this instance has seen the
        database's changes lately (edge.changes.SHARE_WINDOW_SECONDS); not while it cannot
        be reached, when answers rest on the last known state."""
        return self.watcher is not None and self.watcher.current()

    def context(self, request: HTTPConnection, identify: Identify = no_actor) -> Context:
        """What the resolvers of one request get; `identify` says who is signed in."""
        return Context(
            request=request,
            db=self.db,
            catalog=self.catalog,
            clock=self.clock,
            read_model=self.read_model,
            identify=identify,
            forget=self.forget,
        )

    def patient_context(self, scope: Scope) -> Context:
        """The context of a request without credentials (the compiled path's): nobody is
        signed in, so there is no one to identify."""
        return self.context(HTTPConnection(scope))

    def forget(self, her_id: int) -> None:
        """A change to the practice has committed here: no answer may show it as it was."""
        self.cache.invalidate([her_id])
        self.read_model.invalidate([her_id])

    async def stop(self) -> None:
        if self.watcher is not None:
            await self.watcher.stop()
        if self.purger is not None:
            await self.purger.stop()
            self.purger = None


async def open_services(settings: Settings, *, clock: Clock = system_clock) -> Services:
    timeout = settings.database_timeout_seconds
    db = Database(settings.database_url, timeout=timeout, statement_timeout=timeout)
    await db.upgrade()
    services = Services(
        db=db,
        catalog=load_catalog(),
        verifier=await token_verifier(db, settings),
        clock=clock,
        read_model_practices=settings.read_model_practices,
        stale_for=settings.stale_for_seconds,
        sign_in=sign_in_for(settings, db, clock),
        purge_urls=settings.purge_urls,
    )
    await services.start()
    return services


class TilpassGraphQL(GraphQLOverHTTP):
    # From the settings (create_app): DPoP's `htu` base, and whether only bound tokens are taken.
    public_url: str = ""
    dpop_required: bool = False

    def cookie_authenticated(self, request: Request) -> bool:
        sign_in = request.app.state.services.sign_in
        return (
            sign_in is not None
            and "authorization" not in request.headers
            and sign_in.policy.cookie_name in request.cookies
        )

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        services: Services = request.app.state.services
        sign_in = services.sign_in
        identify = await identify_request(
            request,
            verifier=services.verifier,
            db=services.db,
            sessions=sign_in.policy if sign_in is not None else None,
            now=services.clock,
            public_url=self.public_url,
            dpop_required=self.dpop_required,
        )
        return services.context(request, identify)


def settle_heap() -> None:
    """What exists once the app has started (modules, schema, catalogue) lives as long as the
    process. Frozen, the collector's full passes stop walking it: they took pauses of tens of
    milliseconds, the p99 of patient reads. A larger first generation collects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


def persisted_documents(settings: Settings) -> PersistedDocuments:
    """The pages' documents and those of the manifests TILPASS_PERSISTED_DOCUMENTS names."""
    operations = list(page_operations())
    for path in settings.persisted_documents:
        operations.extend(read_manifest(path))
    return PersistedDocuments(operations, required=settings.documents_required)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(services: Services | None = None, *, settings: Settings | None = None) -> Starlette:
    """With `services` (tests), the app uses them as they are; otherwise it opens the database
    named by the settings when it starts, bringing the schema up to date first."""
    settings = settings or load_settings()
    if services is None:
        settings.require_production_ready()
    tracing = Tracing.start() if settings.tracing else None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if services is not None:
            yield
            return
        app.state.services = await open_services(settings)
        if tracing is not None:
            tracing.trace_statements(app.state.services.db.engine)
        settle_heap()
        try:
            yield
        finally:
            await app.state.services.stop()
            await app.state.services.db.dispose()

    schema = schema_for(settings)
    metrics = Metrics(schema, max_tokens=settings.max_tokens)

    def count_hit(operation: str, seconds: float) -> None:
        metrics.record(operation, "ok", seconds, cache_hit=True)

    graphql = TilpassGraphQL(
        schema,
        graphql_ide=None if settings.production else "graphiql",
        documents=persisted_documents(settings),
        graphiql_free_form=not settings.production,
        # Traces must see every execution; the compiled path would skip them.
        plain_reads=settings.compiled_reads and not settings.tracing,
    )
    fast = (
        None
        if graphql.plain_reads is None
        else FastReads(
            documents=graphql.documents,
            plain_reads=graphql.plain_reads,
            metrics=metrics,
        )
    )

    # One app has one Services at a time (a test may start it again with others): what the
    # cache needs of them is put together once, not at every request.
    built: tuple[Services, Located] | None = None

    def locate(scope: Scope) -> Located:
        nonlocal built
        services: Services = scope["app"].state.services
        if built is None or built[0] is not services:
            located = Located(
                cache=services.cache,
                clock=services.clock,
                on_hit=count_hit,
                shareable=services.shareable,
                context_for=services.patient_context,
                fast=fast,
            )
            built = (services, located)
        return built[1]

    graphql.public_url, graphql.dpop_required = settings.public_url, settings.dpop == "required"
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics.endpoint),
            *graphiql_routes(settings),
            *web_routes(settings),
        ],
        middleware=[
            # Defaulted development answers no other machine, before anything else runs.
            *([Middleware(LoopbackOnly)] if settings.loopback_only else []),
            # A server span per request, hits included, when traces are on (edge/tracing.py).
            *([tracing.server_spans()] if tracing is not None else []),
            # Outermost but for traces, so that a hit skips the rest; what it stores passed
            # through all of it.
            Middleware(PatientCache, locate=locate, max_body_bytes=settings.max_body_bytes),
            Middleware(SecurityHeaders, production=settings.production),
            Middleware(RequestContext),
            cors(settings),
            Middleware(GraphQLMetrics, metrics=metrics),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
    if services is not None:
        app.state.services = services

    def purger() -> Purger | None:
        running: Services | None = getattr(app.state, "services", None)
        return running.purger if running is not None else None

    metrics.registry.register(PurgeMetrics(purger))
    return app


app = create_app()
