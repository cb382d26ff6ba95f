"""The log a person reads on a terminal in development, and the JSON lines everywhere else."""

import io
import json
import logging
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from edge.logs import configure_logging, request_id_for, wants_console
from settings import SettingsError, load_settings
from tests.conftest import STORGATA
from tests.servers import free_port

PANEL = """
query Panel($herId: Int!) { patientPanel(herId: $herId) { panelText } }
"""

CONSOLE_ACCESS_LINE = re.compile(
    r"^\d\d:\d\d:\d\d INFO  POST /graphql 200 [\d.]+ ms query:patientPanel ok \[[0-9a-f]{8}\]$"
)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("aiosqlite").level
    try:
        yield
    finally:
        root.handlers, _, _ = saved
        root.setLevel(saved[1])
        logging.getLogger("aiosqlite").setLevel(saved[2])


@pytest.mark.parametrize(
    ("log_format", "production", "stream", "console"),
    [
        ("auto", False, Terminal(), True),
        ("auto", False, io.StringIO(), False),  # a file or a pipe gets JSON
        ("auto", True, Terminal(), False),  # production writes JSON, terminal or not
        ("json", False, Terminal(), False),
        ("console", False, io.StringIO(), True),
        ("console", True, io.StringIO(), True),
    ],
)
def test_readable_lines_only_for_a_person_unless_asked_for(log_format, production, stream, console):
    assert wants_console(log_format, production=production, stream=stream) is console


def test_log_format_setting():
    assert load_settings({}).log_format == "auto"
    assert load_settings({"TILPASS_LOG_FORMAT": " Console "}).log_format == "console"
    assert load_settings({"TILPASS_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(SettingsError, match="TILPASS_LOG_FORMAT"):
        load_settings({"TILPASS_LOG_FORMAT": "xml"})


async def test_console_access_line_reads_as_what_happened(api, restore_logging):
    # Given the console log on a terminal
    stream = Terminal()
    configure_logging("INFO", stream, log_format="auto")
    # When a patient page asks for the panel
    response = await api.client.post(
        "/graphql", json={"query": PANEL, "variables": {"herId": STORGATA}}
    )
    assert response.status_code == 200
    # Then its access line is one short line: time, level, method, path, status, duration,
    # operation and outcome, and the request id's first eight characters
    lines = stream.getvalue().splitlines()
    access = [line for line in lines if "POST /graphql" in line]
    assert len(access) == 1, lines
    assert CONSOLE_ACCESS_LINE.match(access[0]), access[0]
    assert access[0].endswith(f"[{response.headers['x-request-id'][:8]}]")
    for line in lines:
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)


def test_console_line_of_an_error_keeps_its_fields_and_traceback(restore_logging):
    stream = Terminal()
    configure_logging("INFO", stream, log_format="console")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("tilpass").exception("unhandled error", extra={"reference": "r-1"})
    first, *rest = stream.getvalue().splitlines()
    assert re.match(r"^\d\d:\d\d:\d\d ERROR unhandled error reference=r-1$", first), first
    assert "ValueError: boom" in "\n".join(rest)


def serve_on_a_terminal(cwd: Path, env: dict[str, str]) -> str:
    """`tilpass serve` with standard error on a pseudo-terminal, as a developer runs it;
    returns what it printed up to answering /healthz and stopping."""
    port = free_port()
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output = b""

    def drain(seconds: float) -> None:
        nonlocal output
        while select.select([leader], [], [], seconds)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other side has closed
                return
            if not chunk:
                return
            output += chunk

    try:
        deadline = time.monotonic() + 60
        while True:
            drain(0.1)
            assert process.poll() is None, output.decode()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, output.decode()
        drain(0.3)
    finally:
        process.terminate()
        process.wait(timeout=10)
        drain(0.3)
        os.close(leader)
    return output.decode(errors="replace")


def test_serve_on_a_terminal_is_readable_and_quiet_about_migrations(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILPASS_")}
    env["TILPASS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'tilpass.db'}"
    # When the service starts on a new database, on a terminal
    first = serve_on_a_terminal(tmp_path, env)
    # Then it says what it migrated, in readable lines, not JSON
    assert "Running upgrade" in first, first
    lines = [line for line in first.splitlines() if line.strip()]
    assert all(re.match(r"^\d\d:\d\d:\d\d (DEBUG|INFO |WARNING|ERROR) ", line) for line in lines)
    # And when it starts again on the same database, nothing about migrations
    second = serve_on_a_terminal(tmp_path, env)
    for chatter in ("Running upgrade", "Context impl", "Will assume"):
        assert chatter not in second, second
    assert "Uvicorn running" in second, second
    assert "color_message" not in first + second


def test_uvicorns_colour_copy_of_its_message_is_in_neither_format(restore_logging):
    for log_format in ("json", "console"):
        stream = io.StringIO()
        configure_logging("INFO", stream, log_format=log_format)
        colour = "Started server process [\x1b[36m%d\x1b[0m]"
        logging.getLogger("uvicorn.error").info(
            "Started server process [%d]", 42, extra={"color_message": colour}
        )
        written = stream.getvalue()
        assert "Started server process [42]" in written
        assert "color_message" not in written and "\x1b" not in written


def test_one_request_keeps_one_id_however_many_layers_ask():
    # (the compiled path asks before RequestContext when it leaves a request to the full path)
    scope = {"type": "http", "headers": []}
    first = request_id_for(scope)
    assert request_id_for(scope) == first
    assert request_id_for({"type": "http", "headers": []}) != first
    given = {"type": "http", "headers": [(b"x-request-id", b"patient-page-42")]}
    assert request_id_for(given) == request_id_for(given) == "patient-page-42"


SERVICE_TITLE = """
query Title($herId: Int!, $service: Service!) {
  patientService(herId: $herId, service: $service) { title }
}
"""


async def test_every_request_has_one_access_line_under_its_id_whoever_answers(api, restore_logging):
    # Given JSON logs
    stream = io.StringIO()
    configure_logging("INFO", stream, log_format="json")
    variables = {"herId": STORGATA, "service": "RESEPTFORNYELSE"}
    url = "/graphql?" + urlencode({"query": SERVICE_TITLE, "variables": json.dumps(variables)})
    # When a patient read is answered in full, then by the compiled path (other variables, so
    # the response cache has not seen it), then from the cache, then as 304
    sent = [
        ("full", lambda: api.client.get(url, headers={"X-Request-ID": "patient-page-full"})),
        (
            "compiled",
            lambda: api.client.post(
                "/graphql",
                json={"query": SERVICE_TITLE, "variables": {**variables, "n": 1}},
                headers={"X-Request-ID": "patient-page-compiled"},
            ),
        ),
        ("hit", lambda: api.client.get(url, headers={"X-Request-ID": "patient-page-hit"})),
    ]
    statuses = {}
    for name, request in sent:
        statuses[name] = (await request()).status_code
    etag = (await api.client.get(url)).headers["etag"]
    not_modified = await api.client.get(
        url, headers={"If-None-Match": etag, "X-Request-ID": "patient-page-304"}
    )
    assert statuses == {"full": 200, "compiled": 200, "hit": 200}
    assert not_modified.status_code == 304
    # Then each has exactly one access line, under the id it was sent with, with its status,
    # operation and outcome
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = {line["request_id"]: line for line in lines if line["logger"] == "tilpass.access"}
    assert len([line for line in lines if line["logger"] == "tilpass.access"]) == 5
    for request_id, status in [
        ("patient-page-full", 200),
        ("patient-page-compiled", 200),
        ("patient-page-hit", 200),
        ("patient-page-304", 304),
    ]:
        line = access[request_id]
        assert (line["path"], line["status"]) == ("/graphql", status), line
        assert (line["operation"], line["outcome"]) == ("query:patientService", "ok"), line
