"""An open-loop load generator: requests leave at a fixed rate, whatever the server does.

    .venv/bin/python bench/openloop.py URL --rate 1500 [--seconds 10] [--warmup 1]
        [--connections 64] [--body JSON] [--number-from N] [--json]

Request i is scheduled at t0 + i/RATE and sent as a POST of BODY on a pool of keep-alive
HTTP/1.1 connections, all opened before the clock starts. Its latency runs from its
scheduled time to the last byte of its response, so time spent waiting for a free
connection, or for a server that stalls, is counted (no coordinated omission, unlike a
closed loop such as wrk, whose latency starts when a connection happens to be free to send).
With --number-from N, the `"@"` in BODY becomes N, N+1, ... in turn, one number per request.
The first --warmup seconds of the schedule are sent but not counted.

Reports requests sent, responses completed, errors (non-2xx, socket errors, and requests
still unanswered 5 s after the schedule's end), the achieved rate, p50/p90/p99/max latency,
and the generator's own lateness: how long after its scheduled time a request was ready to
go (before any wait for a connection). A high lateness means the client, not the server,
fell behind. "waited" counts the requests that found every connection busy.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MARKER = '"@"'
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)")
# libuv's and asyncio's timers are good to about a millisecond, and at 1,500/s requests are
# 0.67 ms apart: the scheduler sleeps on a timer until SPIN before a request is due, then
# polls the event loop (which still reads responses) so that it leaves within microseconds.
# The price is the client's whole core, which is the client's alone anyway (taskset).
SPIN = 0.0015
DRAIN = 5.0  # how long the requests still out at the schedule's end get to finish

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class ProtocolError(Exception):
    """A response this reader does not handle (chunked, no Content-Length): stop the run
    rather than time something else than the answer."""


@dataclass
class Tally:
    """What the measured requests did (the warm-up's are not counted)."""

    latencies: list[float] = field(default_factory=list)
    lateness: list[float] = field(default_factory=list)
    sent: int = 0
    non_2xx: int = 0
    failed: int = 0
    waited: int = 0
    last_done: float = 0.0
    fatal: BaseException | None = None


def requests(url: str, body: str, count: int, number_from: int | None) -> list[bytes]:
    """The raw requests, built before the clock starts so that sending costs only a write."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    head = (
        f"POST {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n"
    )
    if number_from is None:
        fixed = body.encode()
        return [head.format(len(fixed)).encode() + fixed] * count
    # As LUA_COLD in compare.py: prefix + number + suffix, the number new for every request.
    prefix, suffix = body.split(MARKER, 1)
    built = []
    for i in range(count):
        payload = f"{prefix}{number_from + i}{suffix}".encode()
        built.append(head.format(len(payload)).encode() + payload)
    return built


async def connect(host: str, port: int) -> Stream:
    reader, writer = await asyncio.open_connection(host, port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


async def exchange(stream: Stream, request: bytes) -> tuple[int, bool]:
    """Sends one request and reads its whole response: (status, whether the server closes)."""
    reader, writer = stream
    writer.write(request)
    head = (await reader.readuntil(b"\r\n\r\n")).lower()
    if b"\r\ntransfer-encoding:" in head:
        raise ProtocolError("a chunked response: this reader only reads by Content-Length")
    length = CONTENT_LENGTH.search(head)
    if length is None:
        raise ProtocolError(f"a response without Content-Length: {head[:200]!r}")
    await reader.readexactly(int(length.group(1)))
    return int(head[9:12]), b"\r\nconnection: close" in head


async def one(
    request: bytes,
    due: float,
    measured: bool,
    pool: asyncio.Queue[Stream],
    address: tuple[str, int],
    tally: Tally,
) -> None:
    ready = time.perf_counter()
    if measured:
        tally.lateness.append(ready - due)
        tally.waited += pool.empty()
    stream = await pool.get()
    try:
        status, closing = await exchange(stream, request)
    except ProtocolError as error:
        tally.fatal = error
        return
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        tally.failed += measured
        closing, status = True, 0
    else:
        done = time.perf_counter()
        if measured:
            tally.latencies.append(done - due)
            tally.non_2xx += not 200 <= status < 300
            tally.last_done = max(tally.last_done, done)
    finally:
        tally.sent += measured
    if closing:
        # The pool keeps its size: a connection the server closed is replaced.
        stream[1].close()
        try:
            stream = await connect(*address)
        except OSError as error:
            tally.fatal = error
            return
    pool.put_nowait(stream)


async def run(
    url: str, built: list[bytes], rate: float, warmup_count: int, connections: int
) -> dict[str, float]:
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    # FIFO, so the connections take turns and none sits idle long enough for the server's
    # keep-alive timeout (5 s in uvicorn and in Node's http) to close it.
    pool: asyncio.Queue[Stream] = asyncio.Queue()
    for stream in await asyncio.gather(*(connect(*address) for _ in range(connections))):
        pool.put_nowait(stream)
    tally = Tally()
    tasks: set[asyncio.Task[None]] = set()
    start = time.perf_counter() + 0.01
    for i, request in enumerate(built):
        due = start + i / rate
        while (ahead := due - time.perf_counter()) > 0:
            await asyncio.sleep(ahead - SPIN if ahead > 2 * SPIN else 0)
        if tally.fatal is not None:
            raise SystemExit(f"open loop stopped: {tally.fatal}")
        task = asyncio.create_task(one(request, due, i >= warmup_count, pool, address, tally))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=DRAIN)
        for task in pending:
            task.cancel()
    if tally.fatal is not None:
        raise SystemExit(f"open loop stopped: {tally.fatal}")
    while not pool.empty():
        pool.get_nowait()[1].close()
    measured_from = start + warmup_count / rate
    return report(tally, rate, len(built) - warmup_count, measured_from)


def report(tally: Tally, rate: float, measured: int, measured_from: float) -> dict[str, float]:
    completed = len(tally.latencies)
    unanswered = measured - completed - tally.failed
    span = tally.last_done - measured_from
    return {
        "rate_asked": rate,
        "sent": tally.sent,
        "completed": completed,
        "errors": tally.non_2xx + tally.failed + unanswered,
        "unanswered": unanswered,
        "rate": completed / span if completed and span > 0 else 0.0,
        **{f"p{q}": percentile(tally.latencies, q) for q in (50, 90, 99)},
        "max": percentile(tally.latencies, 100),
        "late_p99": percentile(tally.lateness, 99),
        "late_max": percentile(tally.lateness, 100),
        "waited": tally.waited,
    }


def percentile(seconds: Iterable[float], q: float) -> float:
    """The nearest-rank percentile, in milliseconds (0 for no values)."""
    ordered = sorted(seconds)
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats drifting past n
    return ordered[int(rank) - 1] * 1000


def generate(
    url: str,
    rate: float,
    seconds: float,
    *,
    body: str = "{}",
    number_from: int | None = None,
    warmup: float = 1.0,
    connections: int = 64,
) -> dict[str, float]:
    """Runs the open loop in this process (on uvloop when there is one) and reports it."""
    warmup_count = round(warmup * rate)
    built = requests(url, body, warmup_count + round(seconds * rate), number_from)
    main = run(url, built, rate, warmup_count, connections)
    # A full collection among the run's tasks would stall the schedule for milliseconds;
    # a few seconds' garbage fits in memory.
    gc.freeze()
    gc.disable()
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def measure(
    url: str,
    rate: float,
    seconds: float,
    *,
    body: str = "{}",
    number_from: int | None = None,
    warmup: float = 1.0,
    connections: int = 64,
    prefix: Iterable[str] = (),
) -> dict[str, float]:
    """Runs the open loop in a child process started with `prefix` (e.g. taskset -c 1), so
    that the generator has its own core as wrk does."""
    command = [*prefix, sys.executable, __file__, url, "--rate", str(rate)]
    command += ["--seconds", str(seconds), "--warmup", str(warmup), "--json"]
    command += ["--connections", str(connections), "--body", body]
    if number_from is not None:
        command += ["--number-from", str(number_from)]
    # Only stdout is taken: a loud failure of the generator reaches the terminal as it is.
    output = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(output)


def compare_at_rate(
    reference: tuple[str, str],
    scenarios: dict[str, tuple[str, str]],
    *,
    only: str | None,
    rate: float,
    seconds: float,
    rounds: int,
    connections: int,
    prefix: list[str],
    runs: Iterator[int],
) -> None:
    """Runs the reference (URL, body) and each scenario's whose name `only` finds (a regex;
    None: all) at `rate`, the reference before every scenario in every round, and prints the
    medians and each p99's ratio to that of the reference run beside it. A body with the
    marker gets numbers from `next(runs)` * 10,000,000 on, so that no two runs (nor wrk's,
    which count the same way) share one."""
    if only:
        scenarios = {name: v for name, v in scenarios.items() if re.search(only, name)}
    if not scenarios:
        raise SystemExit(f"no open-loop scenario matches --only {only!r}")

    def at_rate(url: str, body: str, seconds: float = seconds) -> dict[str, float]:
        return measure(
            url,
            rate,
            seconds,
            body=body,
            number_from=next(runs) * 10_000_000 if MARKER in body else None,
            connections=connections,
            prefix=prefix,
        )

    # Not counted, as wrk's 2 s in compare.py: the servers settle over their first seconds
    # of load (Node's JIT tiers up; graphql-yoga's p99 falls tenfold after the first 3 s).
    for url, body in [reference, *scenarios.values()]:
        at_rate(url, body, 2)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in ["baseline", *scenarios]}
    for _ in range(rounds):
        for name, (url, body) in scenarios.items():
            base = at_rate(*reference)
            results["baseline"].append(base)
            run = at_rate(url, body)
            run["ratio"] = run["p99"] / base["p99"]
            results[name].append(run)
    print(
        f"open loop at {rate:.0f}/s on {connections} keep-alive connections, generator on"
        f" core 1; every server warmed up by 3 s at the rate, then each run 1 s warm-up and"
        f" {seconds} s counted; latency from each request's scheduled time; late p99: how far"
        " the generator itself fell behind its schedule"
    )
    print(
        f"{'scenario':30} {'asked/s':>8} {'got/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'max ms':>8} {'p99 ratio':>9} {'errors':>7} {'late p99 ms':>11}"
    )
    for name, runs_of in results.items():
        ratio = statistics.median(r["ratio"] for r in runs_of) if name != "baseline" else 1.0
        print(
            f"{name:30} {rate:8.0f} {statistics.median(r['rate'] for r in runs_of):8.0f}"
            f" {statistics.median(r['p50'] for r in runs_of):8.2f}"
            f" {statistics.median(r['p99'] for r in runs_of):8.2f}"
            f" {max(r['max'] for r in runs_of):8.2f} {ratio:9.2f}"
            f" {sum(r['errors'] for r in runs_of):7d} {max(r['late_p99'] for r in runs_of):11.3f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--body", default="{}")
    parser.add_argument("--number-from", type=int, help=f"replace {MARKER} in the body by N, N+1…")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    if args.number_from is not None and MARKER not in args.body:
        parser.error(f"--number-from needs {MARKER} in --body")
    result = generate(
        args.url,
        args.rate,
        args.seconds,
        body=args.body,
        number_from=args.number_from,
        warmup=args.warmup,
        connections=args.connections,
    )
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"asked {result['rate_asked']:.0f}/s, got {result['rate']:.0f}/s: sent {result['sent']},"
        f" completed {result['completed']}, errors {result['errors']}"
        f" ({result['unanswered']} unanswered); latency ms p50 {result['p50']:.2f}"
        f" p90 {result['p90']:.2f} p99 {result['p99']:.2f} max {result['max']:.2f};"
        f" generator late p99 {result['late_p99']:.3f} ms, max {result['late_max']:.3f} ms;"
        f" {result['waited']} waited for a connection"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
