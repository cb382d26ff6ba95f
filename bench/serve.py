"""One benchmark server: an ASGI app under uvicorn, one worker, no access log, on the HTTP
protocol `tilpass serve` uses (edge/http_protocol.py), or with --stock on uvicorn's own
httptools protocol. The service and the bare baselines start the same way, so that they are
compared on the same server stack.

    python -m bench.serve APP --port PORT [--loop auto|asyncio|uvloop] [--stock]
"""

from __future__ import annotations

import argparse

import uvicorn

from edge.http_protocol import CoalescingHttpToolsProtocol


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", default="auto")
    parser.add_argument("--stock", action="store_true", help="uvicorn's own protocol")
    args = parser.parse_args()
    uvicorn.run(
        args.app,
        port=args.port,
        workers=1,
        log_level="warning",
        access_log=False,
        loop=args.loop,
        http="httptools" if args.stock else CoalescingHttpToolsProtocol,
    )


if __name__ == "__main__":
    main()
