"""Development mode hands out tokens for any GP (POST /dev/token) and lists every GP with
their practices (/dev/practitioners). Chosen only by default (TILPASS_ENV not set), it is
served to this machine alone: `tilpass serve` refuses another address, and the app refuses
clients from elsewhere (`uvicorn app:app --host 0.0.0.0`, or a proxy in front)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app import create_app
from settings import Settings, is_loopback, load_settings
from tests.servers import free_port

TILPASS = Path(sys.executable).with_name("tilpass")
REFUSAL = "TILPASS_ENV=development"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TILPASS_", "OTEL_"))}
    environ["TILPASS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'tilpass.db'}"
    return environ


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Serving:
    """A server process on `port`, however it was started; stopped on leaving."""

    def __init__(self, command: list[str], *, port: int, cwd: Path, env: dict[str, str]) -> None:
        self.port, self.base = port, f"http://127.0.0.1:{port}"
        self.log = cwd / f"server-{port}.log"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, text=True
        )

    def __enter__(self) -> "Serving":
        deadline = time.monotonic() + 60
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.__exit__()
        raise AssertionError(f"the server did not come up:\n{self.log.read_text()}")

    def __exit__(self, *_: object) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()


def serve(host: str, port: int) -> list[str]:
    return [str(TILPASS), "serve", "--host", host, "--port", str(port)]


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.8.9.10", "::1", "localhost", "LocalHost.", "::ffff:127.0.0.1"]
)
def test_loopback_addresses(host):
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "::", "", "10.0.0.5", "192.168.1.20", "fe80::1", "example.org", "localhost.evil"],
)
def test_other_addresses(host):
    assert not is_loopback(host)


def test_settings_know_whether_tilpass_env_was_given():
    assert load_settings({}).env_defaulted
    assert load_settings({"TILPASS_ENV": " "}).env_defaulted
    assert not load_settings({"TILPASS_ENV": "development"}).env_defaulted
    assert not load_settings({"TILPASS_ENV": "Development"}).env_defaulted
    assert not Settings().env_defaulted  # settings made in code chose their env


def test_serve_on_all_addresses_by_default_is_refused(tmp_path, env):
    # Given no TILPASS_ENV, so development only by default
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        serve("0.0.0.0", port),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # When it is asked to serve on every address, then it never listens
    listened = False
    while process.poll() is None and time.monotonic() - started < 30:
        listened = listened or listening(port)
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
    _, stderr = process.communicate()
    assert not listened
    # And stops at once, saying in Norwegian why and what to do instead
    assert process.returncode not in (0, None), stderr
    assert time.monotonic() - started < 15
    assert "Traceback" not in stderr
    assert "0.0.0.0" in stderr
    assert "utviklingsmodus" in stderr.lower()
    assert REFUSAL in stderr
    assert "TILPASS_ENV=production" in stderr
    # And created no database either
    assert not (tmp_path / "tilpass.db").exists()


def test_serve_on_all_addresses_with_development_chosen_starts(tmp_path, env):
    port = free_port()
    env = {**env, "TILPASS_ENV": "development"}
    with Serving(serve("0.0.0.0", port), port=port, cwd=tmp_path, env=env) as server:
        assert httpx.get(f"{server.base}/healthz", timeout=5).json() == {"status": "ok"}


def test_serve_on_loopback_by_default_starts_as_before(tmp_path, env):
    port = free_port()
    with Serving(serve("127.0.0.1", port), port=port, cwd=tmp_path, env=env) as server:
        assert httpx.get(f"{server.base}/healthz", timeout=5).json() == {"status": "ok"}
        picker = httpx.get(f"{server.base}/dev/practitioners", timeout=5)
        assert picker.status_code == 200, picker.text


def test_uvicorn_on_all_addresses_serves_only_this_machine(tmp_path, env):
    # Given `uvicorn app:app --host 0.0.0.0` (no `tilpass serve` to refuse the address)
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "app:app", "--host", "0.0.0.0", "--port", str(port)]
    env = {**env, "PYTHONPATH": str(Path(__file__).parent.parent)}
    with Serving(command, port=port, cwd=tmp_path, env=env) as server:
        # When a client elsewhere asks, through a proxy on this machine (uvicorn believes
        # X-Forwarded-For from 127.0.0.1, so the app sees the client's own address)
        elsewhere = {"X-Forwarded-For": "203.0.113.7"}
        for method, path in [("GET", "/dev/practitioners"), ("POST", "/dev/token")]:
            response = httpx.request(method, f"{server.base}{path}", headers=elsewhere, timeout=5)
            # Then it is refused, saying why
            assert response.status_code == 403, response.text
            assert REFUSAL in response.text
        # And a client on this machine is served as before
        assert httpx.get(f"{server.base}/dev/practitioners", timeout=5).status_code == 200


async def request_from(client: str, settings: Settings) -> httpx.Response:
    app = create_app(object(), settings=settings)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, client=(client, 50_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.get("/healthz")


async def test_app_refuses_other_machines_only_in_default_development():
    defaulted = Settings(env_defaulted=True)
    refused = await request_from("192.0.2.1", defaulted)
    assert refused.status_code == 403
    assert REFUSAL in refused.text and "TILPASS_ENV=production" in refused.text
    assert (await request_from("127.0.0.1", defaulted)).status_code == 200
    assert (await request_from("::1", defaulted)).status_code == 200
    assert (await request_from("192.0.2.1", Settings())).status_code == 200
