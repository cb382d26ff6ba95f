"""Real server processes (`tilpass serve`) for tests that need more than the in-process app."""

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`tilpass serve` on a free port; `start()` waits until /healthz answers."""

    def __init__(self, *, cwd: Path, env: dict[str, str]) -> None:
        self.cwd, self.env = cwd, env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        # A file, not a pipe: a pipe nobody reads fills up and stalls the server's logging.
        self.log = Path(tempfile.gettempdir()) / f"tilpass-server-{self.port}.log"

    def start(self, timeout: float = 60) -> "Server":
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(self.port)],
            cwd=self.cwd,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"the server stopped:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the server did not come up")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flushing, as when a machine loses the process."""
        if self.process and self.process.poll() is None:
            self.process.kill()
        if self.process:
            self.process.wait()
            self._log_file.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
            self._log_file.close()
