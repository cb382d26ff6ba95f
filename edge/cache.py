"""Whole-response caching of the patient view, kept fresh and bounded.

The patient page is the hot path: millions of reads, rare writes. A response that only
public patient fields produced is kept in process memory, keyed by what decides the answer
(edge.cache_key: the document's hash, the operation name, the variables in a canonical form,
the media type and the date in Europe/Oslo, so an absence starting tomorrow takes effect at
midnight without a write), and tagged with the practices it read. It is forgotten
- at once, on this instance, when a mutation here commits a change to one of them;
- within `edge.changes.POLL_SECONDS` on every other instance, whose change watcher polls
  the database's change counter (edge.changes).

The cache holds at most `MAX_ENTRIES` answers and `MAX_BYTES` bytes of them (bodies, headers
and keys, with a fixed allowance per entry for the objects around them); the oldest go first.

Responses carry an ETag (a hash of the body, so it changes exactly when the body does); a GET
with a matching If-None-Match gets 304. Browsers revalidate every time (`max-age=0`). A
successful read by GET may also be kept by a shared cache (the CDN in front of Helsenorge):
`s-maxage` until the next midnight in Europe/Oslo, when dated content next changes by itself,
with `Surrogate-Key` and `xkey` naming the practices it read, by which edge.purge has the CDN
drop it at every change. An answer that may already be outdated (read across an
invalidation, or while the database cannot be reached) is never given to a shared cache: the
purge for what made it outdated may have gone before the CDN stored it."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.bounded import Bounded
from edge.cache_key import Key, key_size, keyed_request
from edge.fast_reads import FastReads
from edge.logs import REQUEST_ID_HEADER, log_access, request_id_for
from edge.metrics import NOTE as METRICS_NOTE
from edge.request_fields import request_fields
from resolvers.dates import Clock, oslo_date, seconds_to_midnight
from schema.context import NOTE_KEY, TODAY_KEY, ResponseNote

MAX_ENTRIES = 20_000
MAX_BYTES = 64 * 1024 * 1024
# What an entry costs beyond its bytes: the Entry, its key tuple, the dictionary slots and the
# practice index (measured near 700 bytes; rounded up, so the bound errs on the safe side).
ENTRY_OVERHEAD = 1_024
GRAPHQL_PATH = "/graphql"
PUBLIC = b"public, no-cache"
PRIVATE = b"no-store"
SHARED = "public, max-age=0, s-maxage={}"
# The keys a shared cache files an answer under: Fastly-style CDNs read Surrogate-Key,
# Varnish's xkey vmod reads xkey; both take space-separated keys.
SURROGATE_KEY = b"surrogate-key"
# Both spellings of the admin page's session cookie (auth/sessions.py) end in this.
SESSION_COOKIE = b"tilpass_session="
XKEY = b"xkey"


def surrogate_keys(her_ids: Iterable[int]) -> bytes:
    return b" ".join([b"practice-%d" % her_id for her_id in sorted(her_ids)])


# Slots and a tuple of ids keep an entry to one object the garbage collector tracks: a full
# cache otherwise doubles the objects every full collection walks, and its pause.
@dataclass(frozen=True, slots=True)
class Entry:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    etag: bytes
    her_ids: tuple[int, ...]
    # For the metrics of hits: the operation, as the metrics named it when it was stored.
    operation: str
    # The practices it read, as surrogate keys (b"practice-1 practice-2").
    keys: bytes

    def size(self) -> int:
        headers = _headers_size(self.headers)
        own = len(self.etag) + len(self.operation) + len(self.keys)
        return ENTRY_OVERHEAD + len(self.body) + headers + own


# Stored answers share a few sets of headers (one per media type, near enough): their sizes and
# content types are worked out once, not at every miss.
@lru_cache(maxsize=64)
def _headers_size(headers: tuple[tuple[bytes, bytes], ...]) -> int:
    return sum(len(name) + len(value) for name, value in headers)


@lru_cache(maxsize=64)
def _content_type(headers: tuple[tuple[bytes, bytes], ...]) -> bytes:
    return dict(headers).get(b"content-type", b"")


class ResponseCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        # Sizes counted as Entry.size and key_size count them.
        self._entries: Bounded[Key, Entry] = Bounded(max_entries, max_bytes)
        self.enabled = True
        # Moves on at every invalidation: a response computed across one is not stored,
        # since it may hold what was just invalidated.
        self.epoch = 0
        self._by_practice: dict[int, set[Key]] = {}
        # The epoch of each practice's last invalidation, and of the last clear: whether a
        # response computed across an invalidation read what was invalidated (one entry per
        # practice ever changed here, a few bytes each).
        self._invalidated_in: dict[int, int] = {}
        self._cleared_in = 0

    @property
    def max_entries(self) -> int:
        return self._entries.max_entries

    @max_entries.setter
    def max_entries(self, value: int) -> None:
        self._entries.max_entries = value

    @property
    def max_bytes(self) -> int:
        return self._entries.max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        self._entries.max_bytes = value

    @property
    def bytes(self) -> int:
        return self._entries.bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> Entry | None:
        return self._entries.get(key) if self.enabled else None

    def put(self, key: Key, entry: Entry, epoch: int) -> None:
        if not self.enabled or epoch != self.epoch:
            return
        size = entry.size() + key_size(key)
        if size > self.max_bytes:
            return
        for gone_key, gone in self._entries.put(key, entry, size):
            self._unindex(gone_key, gone)
        for her_id in entry.her_ids:
            keys = self._by_practice.get(her_id)
            if keys is None:
                keys = self._by_practice[her_id] = set()
            keys.add(key)

    def invalidate(self, her_ids: Iterable[int]) -> None:
        self.epoch += 1
        for her_id in her_ids:
            self._invalidated_in[her_id] = self.epoch
            for key in self._by_practice.pop(her_id, ()):
                self._entries.pop(key)

    def clear(self) -> None:
        self.epoch += 1
        self._cleared_in = self.epoch
        self._entries.clear()
        self._by_practice.clear()

    def changed_since(self, epoch: int, her_ids: Iterable[int]) -> bool:
        """Whether any of these practices was invalidated (or everything cleared) after
        `epoch`: a response that read them then may be outdated already."""
        if self._cleared_in > epoch:
            return True
        return any(self._invalidated_in.get(her_id, 0) > epoch for her_id in her_ids)

    def _unindex(self, key: Key, entry: Entry) -> None:
        for her_id in entry.her_ids:
            keys = self._by_practice.get(her_id)
            if keys is not None:
                keys.discard(key)


def etag_of(body: bytes, content_type: bytes = b"") -> bytes:
    """Strong, so of one representation: the same body in the other media type is another."""
    digest = hashlib.blake2b(body, digest_size=16)
    digest.update(b"\0" + content_type)
    return b'"' + digest.hexdigest().encode() + b'"'


# The headers answers are stored with are few (one set per media type, near enough).
@lru_cache(maxsize=64)
def _vary_on_accept(headers: tuple[tuple[bytes, bytes], ...]) -> tuple[tuple[bytes, bytes], ...]:
    """The answer's media type follows Accept: caches on the way (a browser's included) must
    keep one copy per media type."""
    found = False
    out = []
    for name, value in headers:
        if name.lower() == b"vary":
            found = True
            if b"accept" not in value.lower().replace(b"accept-", b""):
                value = value + b", Accept"
        out.append((name, value))
    if not found:
        out.append((b"vary", b"Accept"))
    return tuple(out)


def _credentials(headers: dict[bytes, bytes]) -> bool:
    return b"authorization" in headers or SESSION_COOKIE in headers.get(b"cookie", b"")


def _matches(if_none_match: bytes | None, etag: bytes) -> bool:
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")]
    return b"*" in tags or etag in tags


@dataclass(frozen=True)
class Located:
    """What the cache needs from the running process (it exists only once the app started)."""

    cache: ResponseCache
    clock: Clock
    on_hit: Callable[[str, float], None]
    # False while the database cannot be reached: what is answered then is the last known
    # state, which no shared cache may keep.
    shareable: Callable[[], bool]
    # The resolvers' context for a request without credentials (the compiled path's).
    context_for: Callable[[Scope], Any]
    # Answers a miss of a planned patient document without the layers below (None: off).
    fast: FastReads | None = None


# Headers every answer gets anew rather than from the stored response.
_PER_RESPONSE = (
    b"content-length",
    b"cache-control",
    b"etag",
    REQUEST_ID_HEADER,
    SURROGATE_KEY,
    XKEY,
)


class PatientCache:
    """The response cache as the outermost layer of the app, so that a hit costs about what
    the cheapest handler costs. Only requests to /graphql that the whole stack would treat
    the same are looked up: no Origin header (CORS answers depend on it) and a body of a
    declared size within the limit (a larger one goes on to be refused). A stored response
    keeps the headers the stack gave it (security headers included); a hit gets a request id,
    the ETag and Cache-Control of its own, and is counted through `on_hit`."""

    def __init__(
        self, app: ASGIApp, *, locate: Callable[[Scope], Located], max_body_bytes: int
    ) -> None:
        self.app, self.locate, self.max_body_bytes = app, locate, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != GRAPHQL_PATH:
            await self.app(scope, receive, send)
            return
        # The first of a repeated header counts, as Starlette's request.headers.get has it.
        request_headers = dict(reversed(scope["headers"]))
        if not self._eligible(scope["method"], request_headers):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        located = self.locate(scope)
        cache = located.cache
        method = scope["method"]
        post = method == "POST"
        body = await _read_body(receive) if post else b""
        today: date = oslo_date(located.clock())
        scope[TODAY_KEY] = today
        # None: answered in full and never stored (edge.cache_key says which requests).
        key, fields = keyed_request(method, request_headers, scope["query_string"], body, today)
        conditional = None if post else request_headers.get(b"if-none-match")

        # What the CDN may keep: reads by GET without credentials (the answer is the same
        # for everyone, but a request with credentials is not one the CDN should answer).
        credentials = _credentials(request_headers)
        public_get = not post and not credentials
        entry = cache.get(key) if key is not None else None
        if entry is not None:
            shared = public_get and located.shareable()
            status = await _answer(
                send, entry, conditional, request_id_for(scope).encode(), located, shared
            )
            seconds = time.perf_counter() - started
            located.on_hit(entry.operation, seconds)
            log_access(scope, status, seconds, operation=entry.operation, outcome="ok")
            return

        note = ResponseNote()
        scope[NOTE_KEY] = note
        epoch = cache.epoch
        # The compiled path, for what the layers below would do nothing else with: a key (so
        # no streaming, a media type we answer in), not GraphiQL's, no credentials.
        fast = located.fast if key is not None and not key[5] and not credentials else None
        produced = None
        if fast is not None:
            if fields is None:
                fields = request_fields(method, scope["query_string"], body)
            if fields is not None:
                produced = await fast.answer(scope, fields, key[4], located.context_for)  # type: ignore[index]
            if produced is None:
                note = scope[NOTE_KEY] = ResponseNote()
        if produced is not None:
            status, (kept, payload, operation) = 200, produced
        else:
            status, headers, payload = await _run(self.app, scope, body, receive)
            kept = tuple((k, v) for k, v in headers if k.lower() not in _PER_RESPONSE)
            metrics_note = scope.get(METRICS_NOTE)
            operation = getattr(metrics_note, "operation", None) or "query"
        # The request's one id: the compiled path's log lines and RequestContext's have it too.
        request_id_bytes = request_id_for(scope).encode()
        if not (note.cacheable and status == 200):
            await _send(send, status, kept, payload, (b"cache-control", PRIVATE), request_id_bytes)
            return
        if fast is not None and produced is None:
            fast.learn(key[4], kept)  # type: ignore[index]
        her_ids = tuple(note.her_ids)
        keys = surrogate_keys(her_ids)
        kept = _vary_on_accept(kept)
        etag = etag_of(payload, _content_type(kept))
        entry = Entry(status, kept, payload, etag, her_ids, operation, keys)
        if key is not None:
            cache.put(key, entry, epoch)
        # Read across an invalidation of what it read: perhaps outdated already, and its purge
        # perhaps sent. (Another practice's change is no reason to keep it from the CDN.)
        shared = public_get and not cache.changed_since(epoch, her_ids) and located.shareable()
        await _answer(send, entry, conditional, request_id_bytes, located, shared)

    def _eligible(self, method: str, headers: dict[bytes, bytes]) -> bool:
        if method == "GET":
            accept = headers.get(b"accept", b"")
            return b"text/html" not in accept and b"origin" not in headers  # GraphiQL
        if method != "POST" or b"origin" in headers:
            return False
        length = headers.get(b"content-length")
        return length is not None and length.isdigit() and int(length) <= self.max_body_bytes


async def _answer(
    send: Send,
    entry: Entry,
    conditional: bytes | None,
    request_id: bytes,
    located: Located,
    shared: bool,
) -> int:
    """The stored answer, or 304 (its status is returned). `shared`: a shared cache may keep it
    until midnight."""
    if shared and entry.keys:
        seconds = seconds_to_midnight(located.clock())
        control = (b"cache-control", SHARED.format(seconds).encode())
        extra = ((SURROGATE_KEY, entry.keys), (XKEY, entry.keys))
    else:
        control, extra = (b"cache-control", PUBLIC), ()
    if _matches(conditional, entry.etag):
        await _send(send, 304, extra, b"", control, request_id, entry.etag)
        return 304
    headers = entry.headers + extra if extra else entry.headers
    await _send(send, entry.status, headers, entry.body, control, request_id, entry.etag)
    return entry.status


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _run(
    app: ASGIApp, scope: Scope, body: bytes, receive: Receive
) -> tuple[int, tuple[tuple[bytes, bytes], ...], bytes]:
    """Runs the app on the body already read, and collects its whole response."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    status, headers, parts = 500, (), []

    async def collect(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = tuple(message.get("headers", []))
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, replay, collect)
    return status, headers, b"".join(parts)


async def _send(
    send: Send,
    status: int,
    headers: tuple[tuple[bytes, bytes], ...],
    body: bytes,
    cache_control: tuple[bytes, bytes],
    request_id: bytes,
    etag: bytes | None = None,
) -> None:
    extra = [
        (b"content-length", str(len(body)).encode()),
        cache_control,
        (REQUEST_ID_HEADER, request_id),
    ]
    if etag is not None:
        extra.append((b"etag", etag))
    await send({"type": "http.response.start", "status": status, "headers": [*headers, *extra]})
    await send({"type": "http.response.body", "body": body})
