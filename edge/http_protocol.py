"""uvicorn's httptools protocol, with each response written to the socket once.

uvicorn writes a response's status line and headers, then its body, as two writes: two
system calls and, with Nagle's algorithm off (as uvloop has it), two TCP segments, each
acknowledged and each waking the client. A server of small answers spends much of its time
there. `CoalescingHttpToolsProtocol` holds what one turn of the event loop writes to a
connection and hands it to the socket in one write at the end of that turn, so a response
sent in one go (every GraphQL answer) leaves as one segment. Nothing waits longer for it:
the event loop turns before it waits for the network again.

Large writes are not held: past `HOLD_BYTES` what is held goes out at once, so that the
transport's own buffer, which uvicorn's flow control watches, sees a large answer as it
would have. `tilpass serve` runs on it (cli.py), and so do the benchmarks' servers."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HOLD_BYTES = 64 * 1024


class CoalescingTransport:
    """A transport that joins the writes of one event-loop turn into one (see above); all else
    is the real transport's."""

    __slots__ = ("_held", "_held_bytes", "_loop", "_real")

    def __init__(self, real: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._real, self._loop = real, loop
        self._held: list[bytes] = []
        self._held_bytes = 0

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(data)
        self._held_bytes += len(data)
        if self._held_bytes >= HOLD_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self._held:
            return
        held = self._held
        self._held, self._held_bytes = [], 0
        if not self._real.is_closing():
            self._real.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self._real.close()

    def get_write_buffer_size(self) -> int:
        return self._real.get_write_buffer_size() + self._held_bytes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
