"""The test's own app (its Services, clock and database) listening on a free loopback port,
served by uvicorn in the test's event loop: for what must reach the app over TCP, such as a
real Varnish in front of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

from tests.servers import free_port


@asynccontextmanager
async def listening(app: ASGIApp) -> AsyncIterator[int]:
    """Serves `app` on 127.0.0.1 until the block ends; yields the port."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
            await asyncio.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        await task
