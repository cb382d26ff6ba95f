"""Patient reads through Varnish (deploy/varnish/tilpass.vcl) against the origin alone, with wrk.

    .venv/bin/python bench/cdn.py [--seconds 15] [--warmup 5] [--connections 32]
        [--practices 300] [--urls 4000] [--save-every 0.5] [--backend-idle-timeout S]
        [--rounds 1] [--seed 2024]

Run from the project root. One machine: the origin (`tilpass serve`, the uvicorn stack as
shipped, TILPASS_ENV=development, SQLite in a temporary folder) and Varnish (a real varnishd
from tests/varnish.py with the shipped VCL) are both pinned to core 0, wrk (-t1) to core 1
(taskset, where there is one): each run has the same one core to serve with.

Data: a generated registry of PRACTICES practices and 8/3 as many GPs (about 800 for 300),
imported with `tilpass import-registry`; the most popular practices also get texts through
the API. The load: a list of URLS GET reads (patientService of the four services and
patientPanel), drawn with replacement: practices Zipf-popular, 40 % with the patient's own
GP (`practitionerHpr`), in the four languages (mostly NB), Accept mostly application/json.
wrk cycles through the list (a Lua script reads it from a file). One GET of each kind is
checked first (200 with data, a shared-cache Cache-Control and an xkey), as are a Varnish
HIT and its purge after a save.

Meanwhile a thread saves a practice's text straight to the origin about every SAVE_EVERY
seconds (saveTexts with a development token of one of its GPs, for a random one of the
popular practices), in both runs alike; each save has the origin purge that practice
from Varnish (TILPASS_PURGE_URLS).

Two runs of the same length, each after a warm-up with the same load: (1) wrk against the
origin; (2) wrk against Varnish (its cache stays filled from one run to the next); with
`--rounds N` the two alternate N times and the table adds their medians. Measured: req/s and latency p50/p99 (wrk), non-2xx answers,
the saves in the measured window; for Varnish the deltas of varnishstat over the window:
hit ratio cache_hit / (cache_hit + cache_miss), hit-for-miss lookups (reads the origin
answered as not for shared caches, asked of it again for 5 s), client requests (the origin's
PURGEs included), backend fetches, PURGEs received; and for both, the PURGEs the origin says
succeeded (tilpass_cdn_purges_total) and the share of the reads it got that its own response
cache answered (both from its /metrics). Prints a Markdown table, the machine's load
average (other work on it shows in the figures) and the command.

wrk is a closed loop: each connection waits for its answer before it asks again, so the
few reads Varnish has to fetch from the origin hold their connection for the origin's
latency, and bound the req/s through Varnish far below what its hits alone would give.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

PROJECT = Path(__file__).resolve().parent.parent
# `python bench/cdn.py` puts bench/ on the path, not the project; tests.varnish and the other
# benches are imported from there.
sys.path.insert(0, str(PROJECT))

from bench.compare import pinned, server_stack  # noqa: E402
from bench.registry_norway import FAMILY, FEMALE, MALE, org_number, practice_names  # noqa: E402
from edge.purge import AGAIN_AFTER_SECONDS  # noqa: E402
from tests.servers import free_port  # noqa: E402
from tests.varnish import Varnish, varnish_missing  # noqa: E402

TILPASS = PROJECT / ".venv" / "bin" / "tilpass"
SERVICES = ("TIMEBESTILLING", "RESEPTFORNYELSE", "E_KONSULTASJON", "KONTAKT_LEGEKONTORET")

SERVICE = (
    "query Service($herId: Int!, $service: Service!, $hpr: Int, $language: Language) {"
    " patientService(herId: $herId, service: $service, practitionerHpr: $hpr,"
    " language: $language) {"
    " service language title offered available standardText practiceText"
    " form { id title displayName questionnaireRef }"
    " entryPoints { entryPoint title form { id title } }"
    " absence { from to returnsOn message } } }"
)
PANEL = (
    "query Panel($herId: Int!, $hpr: Int, $language: Language) {"
    " patientPanel(herId: $herId, practitionerHpr: $hpr, language: $language) {"
    " practice { herId name } panelText"
    " services { service title available practiceText form { id title }"
    " absence { returnsOn message } } } }"
)
SAVE = (
    "mutation Save($input: SaveTextsInput!) {"
    " saveTexts(input: $input) { userErrors { field code message } } }"
)

# The mix. Kinds: the panel page and the four service pages, the busiest first.
KINDS = (("PANEL", 30), ("TIMEBESTILLING", 25), ("RESEPTFORNYELSE", 25))
KINDS += (("E_KONSULTASJON", 12), ("KONTAKT_LEGEKONTORET", 8))
LANGUAGES = (("NB", 88), ("NN", 7), ("EN", 4), ("SE", 1))
ACCEPTS = (
    ("application/json", 90),
    ("application/graphql-response+json, application/json;q=0.9", 6),
    ("*/*", 4),
)
WITH_OWN_GP = 0.4
# Popularity of the practice of rank r (0 = most read): 1 / (r + 1) ** ZIPF. With 1.0 and 300
# practices the busiest gets about 16 % of the reads, the top 20 about 57 %.
ZIPF = 1.0
# The practices whose texts change during the runs (and which get texts beforehand): among
# the most read, where a purge costs the most hits.
EDITED = 16
# About 800 GPs for 300 practices, as asked: every practice one, the rest spread at random.
GPS_PER_PRACTICE = 8 / 3
SECOND_PRACTICE = 0.1

# wrk: every request the next line of URLS ("Accept<TAB>path"), round and round. The requests
# are built in init(), when wrk has set the Host header wrk.format copies into each.
LUA = r"""
local requests = {}
local at = 0

function init(args)
  for line in io.lines(URLS) do
    local accept, path = line:match("^([^\t]*)\t(.+)$")
    requests[#requests + 1] = wrk.format("GET", path, {["Accept"] = accept})
  end
end

function request()
  at = at % #requests + 1
  return requests[at]
end
"""

# Varnish counters whose change over a run the table or the notes show.
COUNTERS = (
    "MAIN.client_req",
    "MAIN.cache_hit",
    "MAIN.cache_miss",
    "MAIN.cache_hitmiss",
    "MAIN.cache_hit_grace",
    "MAIN.backend_req",
    "MAIN.backend_conn",
    "MAIN.backend_reuse",
    "MAIN.backend_fail",
    "MAIN.backend_retry",
    "MAIN.fetch_failed",
    # The VCL's own answers, here only those to PURGE: xkey.purge counts in neither
    # MAIN.n_purges nor MAIN.n_obj_purged.
    "MAIN.s_synth",
)
FAILURES = ("MAIN.backend_fail", "MAIN.backend_retry", "MAIN.fetch_failed")


@dataclass
class Practice:
    her_id: int
    name: str
    gps: list[int]
    weight: float


@dataclass
class Run:
    name: str
    rps: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    requests: int = 0
    non_2xx: int = 0
    socket_errors: str = ""
    saves: int = 0
    failed_saves: int = 0
    purges_ok: int = 0
    origin_hits: float = 0.0
    varnish: dict[str, int] = field(default_factory=dict)
    # The warm-up's failures: its first requests after an idle spell are where Varnish would
    # reuse a backend connection uvicorn has closed (its keep-alive is 5 s, Varnish's
    # backend_idle_timeout 60 s), and answer 503 if it noticed too late.
    warmup_non_2xx: int = 0
    warmup_failures: dict[str, int] = field(default_factory=dict)


def registry(rng: random.Random, count: int) -> tuple[dict[str, Any], list[Practice]]:
    """A registry file for `tilpass import-registry` (tests/registry.json's shape) and the
    practices with their popularity, in a random order of popularity."""
    hprs = rng.sample(range(1_000_000, 10_000_000), round(count * GPS_PER_PRACTICE))
    gp_names = {}
    for hpr in hprs:
        given = rng.choice(FEMALE if rng.random() < 0.55 else MALE)
        gp_names[hpr] = f"{given} {rng.choice(FAMILY)}"
    members: list[list[int]] = [[hpr] for hpr in hprs[:count]]
    for hpr in hprs[count:]:
        members[rng.randrange(count)].append(hpr)
    # Some GPs work at a second practice too (import-registry wants one name per HPR).
    for hpr in rng.sample(hprs, round(len(hprs) * SECOND_PRACTICE)):
        other = members[rng.randrange(count)]
        if hpr not in other:
            other.append(hpr)
    her_ids = rng.sample(range(100_000, 10_000_000), count)
    org_numbers: set[str] = set()
    while len(org_numbers) < count:
        org_numbers.add(org_number(rng))
    entries, practices = [], []
    ranks = rng.sample(range(count), count)
    for her_id, (name, _), org, gps, rank in zip(
        her_ids, practice_names(rng, count), sorted(org_numbers), members, ranks, strict=True
    ):
        offered = list(SERVICES)
        if rng.random() < 0.15:  # some practices offer one service less
            offered.remove(rng.choice(SERVICES[1:]))
        entries.append(
            {
                "herId": her_id,
                "name": name,
                "orgNumber": org,
                "offered": offered,
                "practitioners": [{"hprNumber": hpr, "name": gp_names[hpr]} for hpr in gps],
            }
        )
        practices.append(Practice(her_id, name, gps, 1 / (rank + 1) ** ZIPF))
    practices.sort(key=lambda p: -p.weight)
    return {"practices": entries}, practices


def read_path(kind: str, her_id: int, hpr: int | None, language: str) -> str:
    variables: dict[str, Any] = {"herId": her_id, "language": language}
    if kind != "PANEL":
        variables["service"] = kind
    if hpr is not None:
        variables["hpr"] = hpr
    document = PANEL if kind == "PANEL" else SERVICE
    return "/graphql?" + urlencode(
        {"query": document, "variables": json.dumps(variables, separators=(",", ":"))}
    )


def draw(weighted: tuple[tuple[str, int], ...], rng: random.Random) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def mix(rng: random.Random, practices: list[Practice], count: int) -> list[tuple[str, str]]:
    """(Accept, path) of `count` reads, drawn as patients would ask them."""
    chosen = rng.choices(practices, [p.weight for p in practices], k=count)
    reads = []
    for practice in chosen:
        hpr = rng.choice(practice.gps) if rng.random() < WITH_OWN_GP else None
        path = read_path(draw(KINDS, rng), practice.her_id, hpr, draw(LANGUAGES, rng))
        reads.append((draw(ACCEPTS, rng), path))
    return reads


class BenchVarnish(Varnish):
    """tests/varnish.py's instance, pinned to the origin's core, with extra -p parameters."""

    def __init__(self, backend_port: int, parameters: list[str]) -> None:
        super().__init__(backend_port)
        self.parameters = parameters

    def command(self, admin_port: int) -> list[str]:
        extra = [word for p in self.parameters for word in ("-p", p)]
        return [*pinned(0), *super().command(admin_port), *extra]


def start_origin(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [*pinned(0), str(TILPASS), "serve", "--port", str(port)]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"tilpass serve stopped:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("tilpass serve did not start")


def token(hpr: int, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(TILPASS), "token", "--hpr", str(hpr)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def save(
    client: httpx.Client, origin: str, her_id: int, bearer: str, texts: list[dict[str, str]]
) -> bool:
    response = client.post(
        f"{origin}/graphql",
        json={"query": SAVE, "variables": {"input": {"herId": her_id, "texts": texts}}},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    if response.status_code != 200:
        return False
    body = response.json()
    return "errors" not in body and body["data"]["saveTexts"]["userErrors"] == []


class Saver(threading.Thread):
    """Saves one of `editors`' panel text every `every` seconds (on a fixed schedule, so a
    slow save does not thin the rest) until stopped; counts them."""

    def __init__(
        self, origin: str, editors: list[tuple[int, str]], every: float, seed: int
    ) -> None:
        super().__init__(daemon=True)
        self.origin, self.editors, self.every = origin, editors, every
        self.rng = random.Random(seed)
        self.saved = self.failed = 0
        self.halt = threading.Event()

    def run(self) -> None:
        started, n = time.monotonic(), 0
        with httpx.Client(timeout=10) as client:
            while not self.halt.wait(max(0.0, started + (n + 1) * self.every - time.monotonic())):
                n += 1
                her_id, bearer = self.rng.choice(self.editors)
                # A new text each time: saving the same one again may change nothing.
                text = f"Telefonen er åpen 08–15. Endring nr. {n} ({time.strftime('%H:%M:%S')})."
                try:
                    texts = [{"slot": "FASTLEGEPANEL", "text": text}]
                    ok = save(client, self.origin, her_id, bearer, texts)
                except httpx.HTTPError:
                    ok = False
                if ok:
                    self.saved += 1
                else:
                    self.failed += 1

    def stop(self) -> None:
        self.halt.set()
        self.join()


def origin_metrics(origin: str) -> tuple[int, float, float]:
    """The PURGEs the origin's caches acknowledged; the origin's reads of the bench's two
    documents, and how many of them its own response cache answered."""
    text = httpx.get(f"{origin}/metrics", timeout=10).text
    purges = sum(
        float(m.group(1))
        for m in re.finditer(
            r'^tilpass_cdn_purges_total\{[^}]*result="ok"[^}]*\} (\S+)', text, re.M
        )
    )
    reads = r'^{}\{{[^}}]*operation="query:(?:patientService|patientPanel)"[^}}]*\}} (\S+)'
    requests = sum(
        float(m.group(1))
        for m in re.finditer(reads.format("tilpass_graphql_requests_total"), text, re.M)
    )
    hits = sum(
        float(m.group(1))
        for m in re.finditer(reads.format("tilpass_response_cache_hits_total"), text, re.M)
    )
    return int(purges), requests, hits


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict[str, Any]:
    command = [*pinned(1), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50": _ms(re.search(r"\s50%\s+(\S+)", output).group(1)),
        "p99": _ms(re.search(r"\s99%\s+(\S+)", output).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def check_reads(origin: str, varnish: BenchVarnish, practice: Practice, editor: str) -> None:
    """Each kind of read answers 200 with data and may be kept by a shared cache; Varnish
    keeps one (MISS, then HIT) and drops it when the practice is saved."""
    # Past the last purge of the texts saved just before: a read the origin answers while
    # it forgets a change is not for shared caches, and a late purge would empty Varnish.
    time.sleep(AGAIN_AFTER_SECONDS + 0.5)
    with httpx.Client(timeout=10) as client:
        for kind in ("PANEL", *SERVICES):
            path = read_path(kind, practice.her_id, practice.gps[0], "NN")
            response = client.get(origin + path, headers={"Accept": "application/json"})
            body = response.json() if response.status_code == 200 else {}
            field_name = "patientPanel" if kind == "PANEL" else "patientService"
            if "errors" in body or not (body.get("data") or {}).get(field_name):
                raise SystemExit(f"{kind}: {response.status_code} {response.text[:500]}")
            if "s-maxage" not in response.headers.get("cache-control", ""):
                raise SystemExit(f"{kind}: no s-maxage: {response.headers}")
            if f"practice-{practice.her_id}" not in response.headers.get("xkey", ""):
                raise SystemExit(f"{kind}: no xkey: {response.headers}")
        path = read_path("PANEL", practice.her_id, None, "NB")
        seen = [client.get(varnish.url + path).headers.get("x-cache") for _ in range(2)]
        if seen != ["MISS", "HIT"]:
            raise SystemExit(f"Varnish does not keep the panel: {seen}")
        texts = [{"slot": "FASTLEGEPANEL", "text": "Sjekk av tømmingen."}]
        if not save(client, origin, practice.her_id, editor, texts):
            raise SystemExit("saveTexts failed")
        deadline = time.monotonic() + 5
        while client.get(varnish.url + path).headers.get("x-cache") == "HIT":
            if time.monotonic() > deadline:
                raise SystemExit("Varnish still holds the panel 5 s after a save")
            time.sleep(0.05)


def fill_texts(origin: str, editors: list[tuple[int, str]]) -> None:
    """The edited practices' own texts, some in two languages, as the admin page saves them."""
    with httpx.Client(timeout=10) as client:
        for her_id, bearer in editors:
            texts = [
                {"slot": "FASTLEGEPANEL", "text": "Vi har nye telefontider fra mandag."},
                {"slot": "RESEPTFORNYELSE", "text": "Svar innen tre virkedager."},
                {"slot": "RESEPTFORNYELSE", "language": "NN", "text": "Svar innan tre dagar."},
                {"slot": "TIMEBESTILLING", "language": "EN", "text": "Book online or call us."},
            ]
            if not save(client, origin, her_id, bearer, texts):
                raise SystemExit(f"could not save the texts of {her_id}")


def measure(
    name: str,
    url: str,
    script: Path,
    args: argparse.Namespace,
    saver: Saver,
    origin: str,
    varnish: BenchVarnish | None,
) -> Run:
    run = Run(name)
    idle = varnish.stats() if varnish else {}
    run.warmup_non_2xx = wrk(url, script, args.warmup, args.connections)["non_2xx"]
    saved, failed = saver.saved, saver.failed
    purges, requests, hits = origin_metrics(origin)
    before = varnish.stats() if varnish else {}
    if varnish:
        run.warmup_failures = {c: before[c] - idle[c] for c in FAILURES}
    result = wrk(url, script, args.seconds, args.connections)
    after = varnish.stats() if varnish else {}
    purges_after, requests_after, hits_after = origin_metrics(origin)
    run.saves, run.failed_saves = saver.saved - saved, saver.failed - failed
    run.purges_ok = purges_after - purges
    reads = requests_after - requests
    run.origin_hits = (hits_after - hits) / reads if reads else 0.0
    run.rps, run.p50, run.p99 = result["rps"], result["p50"], result["p99"]
    run.requests, run.non_2xx = result["requests"], result["non_2xx"]
    run.socket_errors = result["socket_errors"]
    if varnish:
        run.varnish = {c: after[c] - before[c] for c in COUNTERS}
    return run


def combined(name: str, runs: list[Run]) -> Run:
    """The rounds of one run in one row: req/s and latencies their medians, counts summed."""
    row = Run(name)
    row.rps = statistics.median(r.rps for r in runs)
    row.p50 = statistics.median(r.p50 for r in runs)
    row.p99 = statistics.median(r.p99 for r in runs)
    row.origin_hits = statistics.median(r.origin_hits for r in runs)
    for r in runs:
        row.requests += r.requests
        row.non_2xx += r.non_2xx
        row.saves += r.saves
        row.failed_saves += r.failed_saves
        row.purges_ok += r.purges_ok
        row.warmup_non_2xx += r.warmup_non_2xx
        for counter, value in r.warmup_failures.items():
            row.warmup_failures[counter] = row.warmup_failures.get(counter, 0) + value
        for counter, value in r.varnish.items():
            row.varnish[counter] = row.varnish.get(counter, 0) + value
    return row


def table(rows: list[Run]) -> str:
    lines = [
        "| run | req/s | p50 ms | p99 ms | non-2xx | Varnish hit ratio | client req"
        " | hit-for-miss | backend fetches | PURGEs received | PURGEs ok | saves"
        " | origin cache hits |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in rows:
        v = run.varnish
        looked_up = v.get("MAIN.cache_hit", 0) + v.get("MAIN.cache_miss", 0)
        ratio = f"{v['MAIN.cache_hit'] / looked_up:.2%}" if v and looked_up else "–"
        cells = [
            run.name,
            f"{run.rps:,.0f}",
            f"{run.p50:.2f}",
            f"{run.p99:.2f}",
            f"{run.non_2xx:,}",
            ratio,
            f"{v['MAIN.client_req']:,}" if v else "–",
            f"{v['MAIN.cache_hitmiss']:,}" if v else "–",
            f"{v['MAIN.backend_req']:,}" if v else "–",
            f"{v['MAIN.s_synth']:,}" if v else "–",
            f"{run.purges_ok:,}",
            f"{run.saves}" + (f" ({run.failed_saves} failed)" if run.failed_saves else ""),
            f"{run.origin_hits:.1%}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--practices", type=int, default=300)
    parser.add_argument("--urls", type=int, default=4000, help="reads in wrk's list")
    parser.add_argument("--save-every", type=float, default=0.5, metavar="SECONDS")
    parser.add_argument(
        "--backend-idle-timeout",
        type=float,
        metavar="SECONDS",
        help="Varnish's backend_idle_timeout (its default is 60 s; uvicorn closes after 5 s)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="alternate the two runs this many times"
    )
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    if (reason := varnish_missing()) is not None:
        raise SystemExit(reason)

    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="tilpass-bench-cdn-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILPASS_")}
    env["TILPASS_ENV"] = "development"  # said outright, or `serve` would not start
    env["TILPASS_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    registry_file = folder / "registry.json"
    document, practices = registry(rng, args.practices)
    registry_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    subprocess.run(
        [str(TILPASS), "import-registry", str(registry_file)],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
    )
    gps = len({hpr for p in practices for hpr in p.gps})
    reads = mix(rng, practices, args.urls)
    urls_file = folder / "urls.tsv"
    urls_file.write_text("".join(f"{accept}\t{path}\n" for accept, path in reads))
    script = folder / "reads.lua"
    script.write_text(LUA.replace("URLS", json.dumps(str(urls_file))))

    # Varnish first: the origin must know where to purge. It marks the origin healthy from
    # the start (backend.vcl's .initial), so the origin may come up after it.
    origin_port = free_port()
    origin = f"http://127.0.0.1:{origin_port}"
    parameters = []
    if args.backend_idle_timeout is not None:
        parameters.append(f"backend_idle_timeout={args.backend_idle_timeout:g}")
    varnish = BenchVarnish(origin_port, parameters)
    server: subprocess.Popen[bytes] | None = None
    saver: Saver | None = None
    try:
        varnish.start()
        server = start_origin(
            origin_port, {**env, "TILPASS_PURGE_URLS": varnish.url}, folder / "origin.log"
        )
        edited = practices[:EDITED]
        # A development token of one GP each; `tilpass token` takes about two seconds, so
        # a few at once.
        with ThreadPoolExecutor(max_workers=4) as pool:
            bearers = list(pool.map(lambda p: token(p.gps[0], env), edited))
        editors = [(p.her_id, bearer) for p, bearer in zip(edited, bearers, strict=True)]
        fill_texts(origin, editors)
        check_reads(origin, varnish, practices[0], bearers[0])

        # Alternated, so that whatever else the machine does weighs on both alike.
        targets = (("origin alone", origin, None), ("through Varnish", varnish.url, varnish))
        runs: dict[str, list[Run]] = {name: [] for name, _, _ in targets}
        load = [os.getloadavg()[0]]
        for round_number in range(args.rounds):
            for name, url, through in targets:
                saver = Saver(origin, editors, args.save_every, args.seed + round_number)
                saver.start()
                try:
                    runs[name].append(measure(name, url, script, args, saver, origin, through))
                finally:
                    saver.stop()
                saver = None
        load.append(os.getloadavg()[0])
    finally:
        if saver is not None:
            saver.stop()
        if server is not None:
            server.terminate()
            server.wait()
        varnish.stop()
        log = (folder / "origin.log").read_text(errors="replace") if folder.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)

    distinct = len(set(reads))
    print(
        f"{args.practices} practices, {gps} GPs; {args.urls} reads in wrk's list"
        f" ({distinct} distinct); a save every {args.save_every:g} s to one of the"
        f" {EDITED} most read practices"
    )
    print(
        f"origin: tilpass serve ({server_stack()}) and varnishd on core 0;"
        f" wrk -t1 -c{args.connections} on core 1; {args.warmup} s warm-up,"
        f" {args.seconds} s measured"
        + (f"; Varnish -p {' -p '.join(parameters)}" if parameters else "")
    )
    print(
        f"load average (1 min) {load[0]:.2f} before the runs, {load[1]:.2f} after,"
        f" on {os.cpu_count()} cores"
    )
    print()
    rows = []
    for name, each in runs.items():
        if args.rounds > 1:
            rows += [replace(run, name=f"{name}, round {n}") for n, run in enumerate(each, 1)]
        rows.append(combined(f"{name}, median" if args.rounds > 1 else name, each))
    print(table(rows))
    if args.rounds > 1:
        print("(median rows: req/s, latencies and origin cache hits the medians; counts summed)")
    through = combined("", runs["through Varnish"]).varnish
    print()
    print(
        "Varnish, measured windows: "
        + ", ".join(f"{name.removeprefix('MAIN.')} {through[name]:,}" for name in COUNTERS)
    )
    warmed = combined("", runs["through Varnish"])
    print(
        f"warm-ups: non-2xx {combined('', runs['origin alone']).warmup_non_2xx} from the origin,"
        f" {warmed.warmup_non_2xx} through Varnish; Varnish "
        + ", ".join(f"{c.removeprefix('MAIN.')} {warmed.warmup_failures[c]}" for c in FAILURES)
    )
    for run in (run for each in runs.values() for run in each):
        if run.socket_errors:
            print(f"{run.name}: wrk socket errors: {run.socket_errors}")
    problems = [line for line in log.splitlines() if '"level": "ERROR"' in line]
    if problems:
        print(f"origin log: {len(problems)} errors, the first: {problems[0][:300]}")
    print()
    print("    " + shlex.join([".venv/bin/python", "bench/cdn.py", *sys.argv[1:]]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
