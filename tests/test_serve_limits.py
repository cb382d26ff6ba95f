"""What uvicorn itself bounds in `tilpass serve`: connections at once (TILPASS_MAX_CONNECTIONS),
idle keep-alive, the accept backlog, and how long a shutdown waits for a slow client. The rest
(header size, read timeouts) is the reverse proxy's job: see the README."""

import os
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from cli import BACKLOG, KEEP_ALIVE_SECONDS, SHUTDOWN_SECONDS, server_options
from settings import Settings, SettingsError, load_settings
from tests.servers import Server


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TILPASS_", "OTEL_"))}
    environ["TILPASS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'tilpass.db'}"
    return environ


def test_max_connections_setting():
    assert load_settings({}).max_connections == 1_000
    assert load_settings({"TILPASS_MAX_CONNECTIONS": " 250 "}).max_connections == 250
    for wrong in ("0", "-5", "mange", "1e3"):
        with pytest.raises(SettingsError, match="TILPASS_MAX_CONNECTIONS"):
            load_settings({"TILPASS_MAX_CONNECTIONS": wrong})


def test_uvicorn_gets_every_bound():
    options = server_options(Settings(max_connections=321))
    assert options["limit_concurrency"] == 321
    assert options["timeout_keep_alive"] == KEEP_ALIVE_SECONDS == 5
    assert options["backlog"] == BACKLOG
    assert options["timeout_graceful_shutdown"] == SHUTDOWN_SECONDS
    assert options["h11_max_incomplete_event_size"] == 16_384
    # And what was there before stays: no uvicorn access log with query strings
    assert options["access_log"] is False and options["proxy_headers"] is True


def idle_connections(port: int, count: int) -> list[socket.socket]:
    """Connections that send nothing, as a slow client's would."""
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    time.sleep(0.3)  # accepted by the server
    return held


def test_beyond_max_connections_the_server_answers_503(tmp_path, env):
    server = Server(cwd=tmp_path, env={**env, "TILPASS_MAX_CONNECTIONS": "3"}).start()
    held: list[socket.socket] = []
    try:
        # Given as many connections held open as the server takes
        held = idle_connections(server.port, 3)
        # When one more asks, then it is turned away at once rather than queued
        response = httpx.get(f"{server.base}/healthz", timeout=5)
        assert response.status_code == 503, response.text
        # And once they are gone, it is served again
        for connection in held:
            connection.close()
        time.sleep(0.3)
        assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200
    finally:
        for connection in held:
            connection.close()
        server.stop()


def test_a_client_trickling_its_body_cannot_hold_up_shutdown(tmp_path, env):
    server = Server(cwd=tmp_path, env=env).start()
    assert server.process is not None
    slow = socket.create_connection(("127.0.0.1", server.port))
    try:
        # Given a request whose body comes a byte at a time, still far from complete
        slow.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        time.sleep(0.5)
        slow.sendall(b" ")
        # When the server is told to stop
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        # Then it waits for that request no longer than its grace period
        server.process.wait(timeout=SHUTDOWN_SECONDS + 20)
        assert time.monotonic() - started < SHUTDOWN_SECONDS + 5
        # (uvicorn ends by raising the signal again: the exit status is SIGTERM's, not 0)
        assert "Finished server process" in server.log.read_text()
    finally:
        slow.close()
        server.kill()
