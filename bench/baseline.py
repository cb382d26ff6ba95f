"""The ceiling: the cheapest Python ASGI handler, Starlette returning a fixed JSON dict."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PAYLOAD = {"data": {"patientService": {"service": "RESEPTFORNYELSE", "available": True}}}


async def fixed(request: Request) -> JSONResponse:
    return JSONResponse(PAYLOAD)


app = Starlette(routes=[Route("/graphql", fixed, methods=["GET", "POST"])])
