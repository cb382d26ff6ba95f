"""The HTTP protocol `tilpass serve` runs on (edge/http_protocol.py): the writes of one turn of
the event loop leave as one, large ones at once, and nothing is lost or reordered on the way.
The transport below it is a recording stand-in for the unit tests; the last tests drive a real
`tilpass serve` on the demo data (the `server` fixture) as clients do, a raw socket included."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx

from cli import server_options
from edge.graphiql import ASSETS
from edge.http_protocol import HOLD_BYTES, CoalescingHttpToolsProtocol, CoalescingTransport
from settings import Settings
from tests.browser import STORGATA

SERVICE = f"{{ patientService(herId: {STORGATA}, service: RESEPTFORNYELSE) {{ title }} }}"
SCRIPT = ASSETS.url("graphiql", "graphiql.min.js")


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return 7

    def get_extra_info(self, name: str) -> str:
        return f"extra {name}"


async def turn() -> None:
    """Lets the event loop run what was scheduled (the flush) once."""
    await asyncio.sleep(0)


async def test_the_writes_of_one_turn_leave_as_one():
    # Given a connection's transport
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    # When a response's head and body are written in the same turn
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"
    transport.write(head)
    transport.write(b"{}")
    # Then nothing has gone out yet, and the held bytes count as buffered
    assert real.writes == []
    assert transport.get_write_buffer_size() == 7 + len(head) + 2
    # And at the end of the turn they go out as one write, in order
    await turn()
    assert real.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    assert transport.get_write_buffer_size() == 7


async def test_writes_of_later_turns_leave_in_later_writes():
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"first")
    await turn()
    transport.write(b"second")
    await turn()
    assert real.writes == [b"first", b"second"]


async def test_large_writes_are_not_held():
    # Given something already held
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"head")
    # When a write brings what is held to the bound
    body = b"x" * HOLD_BYTES
    transport.write(body)
    # Then it goes out at once, with what was held before it, so flow control sees it
    assert real.writes == [b"head" + body]
    await turn()
    assert real.writes == [b"head" + body]


async def test_close_sends_what_is_held_first():
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"last answer")
    transport.close()
    assert real.writes == [b"last answer"] and real.closed
    await turn()  # the scheduled flush finds nothing left
    assert real.writes == [b"last answer"]


async def test_nothing_is_written_to_a_connection_that_is_closing():
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"too late")
    real.closed = True  # the client went away meanwhile
    await turn()
    assert real.writes == []


async def test_everything_else_is_the_real_transports():
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    assert transport.get_extra_info("peername") == "extra peername"
    assert transport.is_closing() is False


def test_tilpass_serve_runs_on_it():
    assert server_options(Settings())["http"] is CoalescingHttpToolsProtocol


def post(body: bytes, *, close: bool = False) -> bytes:
    connection = b"connection: close\r\n" if close else b""
    return (
        b"POST /graphql HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n"
        + connection
        + b"content-length: %d\r\n\r\n" % len(body)
        + body
    )


def read_responses(sock: socket.socket) -> list[tuple[bytes, bytes]]:
    """Every response until the server closes the connection: (head, body) each."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    responses = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        responses.append((head, rest[:length]))
        data = rest[length:]
    return responses


def test_pipelined_requests_are_answered_whole_and_in_order(server):
    # Given three requests sent at once on one connection, the last asking to close it
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            post(b'{"query":"{ __typename }"}')
            + post(json.dumps({"query": SERVICE}).encode())
            + post(b'{"query":"{ __typename }"}', close=True)
        )
        # Then three whole answers come back, in the order asked
        responses = read_responses(sock)
    assert [head.split(b"\r\n")[0] for head, _ in responses] == [b"HTTP/1.1 200 OK"] * 3
    assert responses[0][1] == responses[2][1] == b'{"data":{"__typename":"Query"}}'
    assert b"Fornye resept" in responses[1][1]


def test_a_large_answer_arrives_whole(server):
    # Given an answer far beyond what is held (GraphiQL's script)
    response = httpx.get(f"{server.base}{SCRIPT}", timeout=10)
    assert response.status_code == 200
    assert len(response.content) > 4 * HOLD_BYTES
    assert len(response.content) == int(response.headers["content-length"])


def test_head_and_not_modified_answers_have_no_body(server):
    with httpx.Client(base_url=server.base, timeout=10) as client:
        head = client.head(SCRIPT)
        assert head.status_code == 200 and head.content == b""
        params = {"query": SERVICE}
        first = client.get("/graphql", params=params)
        again = client.get(
            "/graphql", params=params, headers={"if-none-match": first.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""
        # and the connection carries on after them
        assert client.get("/healthz").json() == {"status": "ok"}
