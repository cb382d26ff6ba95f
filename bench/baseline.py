"""The ceilings: the cheapest Python ASGI handlers, bare Starlette apps.

`app` returns a fixed JSON dict (the comparison the ratios use). `same_shape` answers with
the very status line, headers and body that the service gave a patient request (read from
the JSON file named by BENCH_SHAPE_FILE, written by bench/compare.py), after reading the
request body: it shows what the answer's size and headers cost on their own. `burning`
spends BENCH_BURN_MS of CPU per request (busy, allocating nothing) before answering: what
the server and its event loop make of requests that cost as much as a cold patient read."""

import json
import os
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PAYLOAD = {"data": {"patientService": {"service": "RESEPTFORNYELSE", "available": True}}}


async def fixed(request: Request) -> JSONResponse:
    return JSONResponse(PAYLOAD)


app = Starlette(routes=[Route("/graphql", fixed, methods=["GET", "POST"])])


def _shaped() -> Starlette:
    path = os.environ.get("BENCH_SHAPE_FILE")
    shape = json.loads(Path(path).read_text()) if path else {"headers": {}, "body": ""}
    body = shape["body"].encode()
    headers = {
        k: v for k, v in shape["headers"].items() if k not in ("content-length", "date", "server")
    }

    async def answer(request: Request) -> Response:
        await request.body()
        return Response(body, headers=headers)

    return Starlette(routes=[Route("/graphql", answer, methods=["GET", "POST"])])


same_shape = _shaped()


def _burning() -> Starlette:
    seconds = float(os.environ.get("BENCH_BURN_MS", "0.5")) / 1000

    async def burn(request: Request) -> JSONResponse:
        await request.body()
        until = time.perf_counter() + seconds
        while time.perf_counter() < until:
            pass
        return JSONResponse(PAYLOAD)

    return Starlette(routes=[Route("/graphql", burn, methods=["GET", "POST"])])


burning = _burning()
