"""Loads the patient view and a baseline Starlette app side by side with wrk.

    .venv/bin/python bench/compare.py [--seconds 10] [--rounds 3] [--connections 32]
        [--service-loop auto|asyncio|uvloop] [--only REGEX] [--fairness MS] [--peers]
        [--open-loop RATE [--open-loop-warm] [--pool 64]] [--stock-protocol]

All Python servers run under uvicorn with one worker (bench/serve.py), pinned to core 0
(taskset, where there is one), on the HTTP protocol `tilpass serve` uses, which writes each
response to the socket once (edge/http_protocol.py); --stock-protocol puts them all on
uvicorn's own, which writes the headers and the body apart. wrk runs on core 1. The
scenarios alternate with the baseline in every round, so that the ratios compare runs made
under the same conditions. Needs wrk (apt-get install wrk). Prints req/s, p50 and p99 per
scenario and the ratio to the baseline of its round. The baseline returns a fixed dict;
"bare Starlette, same answer" is a second bare app that sends exactly the service's
patientService answer (its headers and body), to show how much of the gap is the answer's
shape rather than the service's work.

--peers adds two Node servers answering the same document with the same data (the service's
answer, recorded at the start of the run), one process each, pinned as the Python servers
are: "Mercurius + graphql-jit POST" (Fastify; graphql-jit executes every request) and
"graphql-yoga POST" (bench/node_peers.py, bench/peers/). Both get the cold bodies; they have
no response cache. Needs node, and npm to install bench/peers the first time.

--open-loop RATE measures latency below saturation instead of capacity (bench/openloop.py,
on core 1): request i is due at t0 + i/RATE whatever the server does, goes out on one of
--pool keep-alive connections, and its latency runs from when it was due to the end of its
response, so a stall or a queue shows in every request that waited (wrk times from the
send, and at saturation its latency is its own queue). The baseline and "patientService
POST, cold" (--open-loop-warm: the warm POST too; --peers: the peers) alternate at RATE; the
table gives rate achieved, p50, p99, max, p99 / the baseline's, and the generator's lateness.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from importlib import util
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlencode

import httpx

PROJECT = Path(__file__).resolve().parent.parent
# `python bench/compare.py` puts bench/ on the path, not the project.
sys.path.insert(0, str(PROJECT))

from bench import node_peers, openloop, servers  # noqa: E402

HER_ID, HPR = 8142519, 9144889

SERVICE = (
    "query Service($herId: Int!, $service: Service!, $hpr: Int) {"
    " patientService(herId: $herId, service: $service, practitionerHpr: $hpr) {"
    " service title offered available standardText practiceText"
    " form { id title displayName questionnaireRef }"
    " entryPoints { entryPoint title form { id title } }"
    " absence { from to returnsOn message } } }"
)
SERVICE_ON = SERVICE.replace("$hpr: Int)", "$hpr: Int, $on: Date)").replace(
    "practitionerHpr: $hpr)", "practitionerHpr: $hpr, on: $on)"
)
PANEL = (
    "query Panel($herId: Int!, $hpr: Int) {"
    " patientPanel(herId: $herId, practitionerHpr: $hpr) { practice { herId name } panelText"
    " services { service title available practiceText form { id title }"
    " absence { returnsOn message } } } }"
)
SERVICE_VARS = {"herId": HER_ID, "service": "RESEPTFORNYELSE", "hpr": HPR}
PANEL_VARS = {"herId": HER_ID, "hpr": HPR}

LUA_POST = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
"""
LUA_GET_304 = """
wrk.headers["If-None-Match"] = {etag}
"""
# Cold: the same document, but every body has a variable the document does not use with a new
# value (the response cache keys on the variables, not on the raw body, so a counter in
# `extensions` would hit it), so every request misses the response cache; parser and
# validation caches and the plan still hit, and the read does the same work. RUN_NUMBER
# is the number of the wrk run: each run counts on from where no earlier one reached, or a
# later round would find the bodies of an earlier one in the cache.
LUA_COLD = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = RUN_NUMBER * 10000000
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, {prefix} .. n .. {suffix})
end
"""
# Midnight: every request asks for a date nobody asked for before, as every patient does just
# after midnight (the date is part of every cache key, so the whole cache goes stale at once).
# Each run starts RUN_NUMBER * 40,000 days on, beyond the dates of every earlier run.
LUA_MIDNIGHT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = RUN_NUMBER * 40000
local start = os.time()
request = function()
  n = n + 1
  local day = os.date("!%Y-%m-%d", start + n * 86400)
  return wrk.format(nil, nil, nil, {prefix} .. day .. {suffix})
end
"""


def server_stack(loop: str = "auto", *, stock: bool) -> str:
    """What bench/serve.py runs, with uvicorn's default loop ("auto") or `loop`."""
    if loop == "auto":
        loop = "uvloop" if util.find_spec("uvloop") else "asyncio"
    http = "httptools" if stock else "httptools, one write per response (edge/http_protocol.py)"
    return f"uvicorn {version('uvicorn')} with {loop} and {http}, one worker"


def pinned(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and os.cpu_count() > 1 else []


def start(
    app: str, port: int, env: dict[str, str], loop: str = "auto", *, stock: bool
) -> subprocess.Popen[bytes]:
    """`stock`: on uvicorn's own httptools protocol, not tilpass serve's (bench/serve.py)."""
    command = [*pinned(0), sys.executable, "-m", "bench.serve", app, "--port", str(port)]
    command += ["--loop", loop, *(["--stock"] if stock else [])]
    return servers.started(command, cwd=PROJECT, env=env, port=port, name=app)


RUNS = itertools.count()


def wrk(url: str, script: str, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script.replace("RUN_NUMBER", str(next(RUNS))))
    command = [
        *pinned(1),
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        handle.name,
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(handle.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps,
        "p50": _ms(re.search(r"\s50%\s+(\S+)", output).group(1)),
        "p99": _ms(re.search(r"\s99%\s+(\S+)", output).group(1)),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def panel_document_id() -> str:
    """The id of the patient page's own PatientPanel document, from the built-in manifest."""
    from web.documents import page_operations

    return next(op.id for op in page_operations() if op.name == "PatientPanel")


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def fairness(burn_ms: float, seconds: int, rounds: int, connections: int, *, stock: bool) -> int:
    """How each event loop shares one core among connections whose requests each cost
    `burn_ms` of CPU: under saturation the p50 is the queue (connections x cost) on both; the
    p99 shows how evenly the loop serves them."""
    env = {**os.environ, "BENCH_BURN_MS": str(burn_ms)}
    post = LUA_POST.format(body=lua_string("{}"))
    results: dict[str, list[dict[str, float]]] = {"uvloop": [], "asyncio": []}
    for _ in range(rounds):
        for loop, runs in results.items():
            server = start("bench.baseline:burning", 18004, env, loop, stock=stock)
            try:
                wrk("http://127.0.0.1:18004/graphql", post, 2, connections)
                runs.append(wrk("http://127.0.0.1:18004/graphql", post, seconds, connections))
            finally:
                server.terminate()
                server.wait()
    print(f"bare Starlette burning {burn_ms} ms per request; wrk -t1 -c{connections} on core 1")
    print(f"{'loop':10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for loop, runs in results.items():
        print(
            f"{loop:10} {statistics.median(r['rps'] for r in runs):9.0f}"
            f" {statistics.median(r['p50'] for r in runs):8.2f}"
            f" {statistics.median(r['p99'] for r in runs):8.2f}"
        )
    return 0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--service-loop",
        choices=["auto", "asyncio", "uvloop"],
        default="auto",
        help="the service's event loop (the baselines always get uvicorn's fastest)",
    )
    parser.add_argument("--only", help="run only the scenarios whose name this regex finds")
    parser.add_argument(
        "--fairness",
        type=float,
        metavar="MS",
        help="instead: a bare app burning MS of CPU per request, on uvloop and on asyncio",
    )
    parser.add_argument(
        "--open-loop",
        type=float,
        metavar="RATE",
        help="instead of wrk: requests sent at RATE per second, latency from their schedule",
    )
    parser.add_argument(
        "--open-loop-warm",
        action="store_true",
        help="with --open-loop: the warm patientService POST (the same body every time) too",
    )
    parser.add_argument(
        "--pool", type=int, default=64, help="with --open-loop: keep-alive connections"
    )
    parser.add_argument(
        "--peers", action="store_true", help="also Mercurius + graphql-jit and graphql-yoga"
    )
    parser.add_argument(
        "--stock-protocol",
        action="store_true",
        help="serve on uvicorn's own protocol, not the one tilpass serve uses (both sides)",
    )
    return parser.parse_args()


def main() -> int:
    args = arguments()
    # A plain kill stops the servers too, as Ctrl-C does: both unwind through `finally`.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if not shutil.which("wrk") and args.open_loop is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    if args.fairness is not None:
        return fairness(
            args.fairness, args.seconds, args.rounds, args.connections, stock=args.stock_protocol
        )

    folder = Path(tempfile.mkdtemp(prefix="tilpass-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILPASS_")}
    env["TILPASS_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    tilpass = [sys.executable, "-m", "cli"]
    base_port, app_port, shape_port = 18001, 18002, 18003
    # Every server started goes in here at once, so that all are stopped on any way out.
    processes: list[subprocess.Popen[bytes]] = []
    try:
        seed = [*tilpass, "seed-demo"]
        subprocess.run(seed, cwd=PROJECT, env=env, check=True, capture_output=True)
        processes.append(start("bench.baseline:app", base_port, env, stock=args.stock_protocol))
        processes.append(
            start("app:app", app_port, env, args.service_loop, stock=args.stock_protocol)
        )
        app_url = f"http://127.0.0.1:{app_port}/graphql"
        baseline_url = f"http://127.0.0.1:{base_port}/graphql"
        answer = httpx.post(app_url, json={"query": SERVICE, "variables": SERVICE_VARS})
        post = {
            "patientService POST": json.dumps({"query": SERVICE, "variables": SERVICE_VARS}),
            "patientPanel POST": json.dumps({"query": PANEL, "variables": PANEL_VARS}),
        }
        # The peers get the cold bodies too: they have no response cache, so to them every
        # request is cold anyway, and the load generator does the same work as for the service.
        cold = json.dumps({"query": SERVICE, "variables": {**SERVICE_VARS, "bench": "@"}})
        peers: dict[str, str] = {}
        if args.peers:
            peers, started = node_peers.start_wanted(
                args.only, folder, answer, cold.replace('"@"', "0"), pinned(0), env
            )
            processes += started
        stock = args.stock_protocol
        stacks = (
            f"baselines: {server_stack(stock=stock)};"
            f" service: {server_stack(args.service_loop, stock=stock)}"
        )
        if peers:
            stacks += f"; peers: {node_peers.versions()}, one process each"
        if args.open_loop is not None:
            print(stacks)
            warm = post["patientService POST"]
            scenarios = {"patientService POST, cold": (app_url, cold)}
            if args.open_loop_warm:
                scenarios["patientService POST"] = (app_url, warm)
            scenarios.update((name, (url, cold)) for name, url in peers.items())
            openloop.compare_at_rate(
                # The baseline is sent the service's POST too; it answers without reading it.
                (baseline_url, warm),
                scenarios,
                only=args.only,
                rate=args.open_loop,
                seconds=args.seconds,
                rounds=args.rounds,
                connections=args.pool,
                prefix=pinned(1),
                runs=RUNS,
            )
            return 0

        shape_file = folder / "shape.json"
        shape_file.write_text(json.dumps({"headers": dict(answer.headers), "body": answer.text}))
        shape_env = {**env, "BENCH_SHAPE_FILE": str(shape_file)}
        processes.append(
            start("bench.baseline:same_shape", shape_port, shape_env, stock=args.stock_protocol)
        )
        get_url = (
            app_url + "?" + urlencode({"query": SERVICE, "variables": json.dumps(SERVICE_VARS)})
        )
        etag = httpx.get(get_url).headers["etag"]
        scenarios = {
            # Not a comparison the ratios use: what the answer's headers and size cost alone.
            "bare Starlette, same answer": (
                f"http://127.0.0.1:{shape_port}/graphql",
                LUA_POST.format(body=lua_string(post["patientService POST"])),
            ),
        }
        scenarios.update(
            (name, (app_url, LUA_POST.format(body=lua_string(body)))) for name, body in post.items()
        )
        cold_prefix, cold_suffix = cold.split('"@"')
        cold_script = LUA_COLD.format(
            prefix=lua_string(cold_prefix), suffix=lua_string(cold_suffix)
        )
        scenarios["patientService POST, cold"] = (app_url, cold_script)
        midnight = json.dumps({"query": SERVICE_ON, "variables": {**SERVICE_VARS, "on": "@"}})
        before, after = midnight.split('"@"')
        scenarios["patientService POST, midnight"] = (
            app_url,
            LUA_MIDNIGHT.format(prefix=lua_string(before + '"'), suffix=lua_string('"' + after)),
        )
        scenarios["patientService GET"] = (get_url, "")
        scenarios["patientService GET 304"] = (get_url, LUA_GET_304.format(etag=lua_string(etag)))
        # As the patient page asks in production: its persisted document by id, so the URL
        # is short and the same for every patient of the practice.
        by_id = (
            app_url
            + "?"
            + urlencode(
                {"documentId": f"sha256:{panel_document_id()}", "variables": json.dumps(PANEL_VARS)}
            )
        )
        by_id_etag = httpx.get(by_id).headers["etag"]
        scenarios["patientPanel GET 304, documentId"] = (
            by_id,
            LUA_GET_304.format(etag=lua_string(by_id_etag)),
        )
        scenarios.update((name, (url, cold_script)) for name, url in peers.items())
        if args.only:
            scenarios = {k: v for k, v in scenarios.items() if re.search(args.only, k)}
        if not scenarios:
            raise SystemExit(f"no scenario matches --only {args.only!r}")
        # Warm up both.
        wrk(baseline_url, "", 2, args.connections)
        for url, script in scenarios.values():
            wrk(url, script, 2, args.connections)

        results: dict[str, list[dict[str, float]]] = {name: [] for name in ["baseline", *scenarios]}
        for _ in range(args.rounds):
            for name, (url, script) in scenarios.items():
                base = wrk(baseline_url, "", args.seconds, args.connections)
                results["baseline"].append(base)
                run = wrk(url, script, args.seconds, args.connections)
                run["ratio"] = run["rps"] / base["rps"]
                results[name].append(run)
        print(f"{stacks}; wrk -t1 -c{args.connections} on core 1")
        print(
            f"{'scenario':30} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'non-2xx':>8}"
        )
        for name, runs in results.items():
            ratio = statistics.median(r["ratio"] for r in runs) if name != "baseline" else 1.0
            print(
                f"{name:30} {statistics.median(r['rps'] for r in runs):9.0f}"
                f" {statistics.median(r['p50'] for r in runs):8.2f}"
                f" {statistics.median(r['p99'] for r in runs):8.2f}"
                f" {ratio:6.2f} {sum(r['errors'] for r in runs):8d}"
            )
    finally:
        node_peers.stop(processes)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
