"""Real Varnish instances for tests: deploy/varnish/tilpass.vcl in front of a test's origin.

Each instance has a temporary folder of its own holding a copy of the VCL, a backend.vcl
made from the shipped example with the origin's address, its work folder (`-n`) and its log;
it listens on free loopback ports and runs in the foreground (`-F`) as a child of the test.
The system service (varnish.service, port 6081) is never used.

Varnish started as root compiles the VCL and runs its cache process as unprivileged users
(varnish, vcache): the folder and the files must be readable by others, so they are made
0755/0644 (a `mkdtemp` folder is 0700 and the compiler fails with "Permission denied")."""

from __future__ import annotations

import ctypes
import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.servers import free_port

VCL_FOLDER = Path(__file__).resolve().parent.parent / "deploy" / "varnish"
# Debian installs varnishd and varnishstat in /usr/sbin and /usr/bin; /usr/sbin is not on
# every user's PATH.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


def _program(name: str) -> str | None:
    return shutil.which(name, path=SEARCH_PATH)


@functools.cache
def varnish_missing() -> str | None:
    """None when varnishd, varnishstat and the xkey vmod are there; else why (for pytest.skip)."""
    varnishd = _program("varnishd")
    if varnishd is None:
        return "varnishd is not installed (Debian: varnish; `make varnish` installs it)"
    if _program("varnishstat") is None:
        return "varnishstat is not installed (Debian: varnish)"
    # Compiling (to C only, -C) a VCL that imports the vmods finds them as varnishd would.
    with tempfile.TemporaryDirectory(prefix="tilpass-varnish-check-") as folder:
        root = Path(folder)
        root.chmod(0o755)
        vcl = root / "check.vcl"
        vcl.write_text(
            'vcl 4.1;\nimport std;\nimport xkey;\nbackend default { .host = "127.0.0.1"; }\n'
        )
        vcl.chmod(0o644)
        try:
            result = subprocess.run(
                [varnishd, "-C", "-n", str(root / "work"), "-f", str(vcl)],
                capture_output=True,
                text=True,
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"varnishd does not run: {error}"
    if result.returncode != 0:
        if "xkey" in result.stderr:
            return "the xkey vmod is not installed (Debian: varnish-modules)"
        return f"varnishd cannot compile a VCL: {result.stderr.strip()[-500:]}"
    return None


def _end_with_parent() -> None:
    """In the child before exec: SIGTERM when the test process dies, so that no varnishd
    outlives a killed test run (Linux's PR_SET_PDEATHSIG; elsewhere nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def backend_vcl(host: str, port: int) -> str:
    """The shipped example backend.vcl, pointed at `host:port` (probe and timeouts kept)."""
    text = (VCL_FOLDER / "backend.vcl").read_text()
    text, hosts = re.subn(r'\.host\s*=\s*"[^"]*"', f'.host = "{host}"', text, count=1)
    text, ports = re.subn(r'\.port\s*=\s*"[^"]*"', f'.port = "{port}"', text, count=1)
    assert hosts == ports == 1, "deploy/varnish/backend.vcl has no .host and .port to replace"
    return text


class Varnish:
    """varnishd with deploy/varnish/tilpass.vcl in front of `backend_host:backend_port`.

    `start()` waits until it answers; `stop()` (or leaving the `with` block) ends it and
    removes its folder."""

    def __init__(self, backend_port: int, *, backend_host: str = "127.0.0.1") -> None:
        reason = varnish_missing()
        assert reason is None, reason
        self.backend_host, self.backend_port = backend_host, backend_port
        self.folder = Path(tempfile.mkdtemp(prefix="tilpass-varnish-"))
        # The unprivileged users Varnish switches to must read the VCL and reach the work folder.
        self.folder.chmod(0o755)
        self.vcl = self.folder / "tilpass.vcl"
        shutil.copyfile(VCL_FOLDER / "tilpass.vcl", self.vcl)
        (self.folder / "backend.vcl").write_text(backend_vcl(backend_host, backend_port))
        for path in (self.vcl, self.folder / "backend.vcl"):
            path.chmod(0o644)
        self.workdir = self.folder / "work"
        self.log = self.folder / "varnishd.log"
        self.port = 0
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._paused = False

    def command(self, admin_port: int) -> list[str]:
        varnishd = _program("varnishd")
        assert varnishd is not None
        return [
            varnishd,
            "-F",  # in the foreground: a child of the test, ended with it
            "-n",
            str(self.workdir),  # its own shared memory, compiled VCL, secret
            "-f",
            str(self.vcl),
            "-a",
            f"127.0.0.1:{self.port}",
            # The CLI on loopback, for varnishadm -n <workdir> while debugging a test.
            "-T",
            f"127.0.0.1:{admin_port}",
            "-s",
            "malloc,64m",
            # Small and quick for tests: few threads, a crash ends the instance (and shows
            # in the log) instead of restarting it, nothing for syslog.
            "-p",
            "thread_pools=1",
            "-p",
            "thread_pool_min=10",
            "-p",
            "thread_pool_max=200",
            "-p",
            "auto_restart=off",
            # Below uvicorn's 5 s keep-alive (cli.KEEP_ALIVE_SECONDS): Varnish must never
            # reuse a connection the origin is closing (a 503 for the patient).
            "-p",
            "backend_idle_timeout=4",
            "-p",
            "syslog_cli_traffic=off",
        ]

    def start(self, timeout: float = 30) -> Varnish:
        # A free port can be taken between looking and binding; try a few.
        for attempt in range(3):
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            command = self.command(admin_port=free_port())
            with self.log.open("ab") as log:
                log.write(f"--- start {attempt + 1}: {' '.join(command)}\n".encode())
                log.flush()
                self.process = subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_end_with_parent
                )
            if self._wait_until_up(timeout):
                return self
            if self.process.poll() is None:
                self.stop_process()
                raise AssertionError(
                    f"Varnish did not answer in {timeout} s:\n{self.log.read_text()}"
                )
            if "Address already in use" not in self.log.read_text():
                break
        raise AssertionError(f"Varnish did not start:\n{self.log.read_text()}")

    def _wait_until_up(self, timeout: float) -> bool:
        """True once it answers HTTP; False when the process ended first."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                # Answered by the VCL itself (400: no xkey-purge header), never the origin.
                httpx.request("PURGE", f"{self.url}/", timeout=1)
                return True
            except httpx.TransportError:
                time.sleep(0.05)
        return False

    def pids(self) -> list[int]:
        """The manager's process id and its children's (the cache process)."""
        if self.process is None or self.process.poll() is not None:
            return []
        manager = self.process.pid
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid …: comm may hold spaces and parentheses.
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == manager:
                children.append(int(entry.name))
        return [manager, *children]

    def pause(self) -> None:
        """SIGSTOP both processes: connections are accepted by the kernel, nothing answers."""
        for pid in self.pids():
            os.kill(pid, signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        # The cache process first, so the manager never finds it silent and kills it.
        for pid in reversed(self.pids()):
            os.kill(pid, signal.SIGCONT)
        self._paused = False

    def stats(self) -> dict[str, int]:
        """Its counters by name (MAIN.cache_hit, MAIN.cache_miss, MAIN.n_object, XKEY.…)."""
        varnishstat = _program("varnishstat")
        assert varnishstat is not None
        output = subprocess.run(
            [varnishstat, "-n", str(self.workdir), "-1", "-j"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        data = json.loads(output)
        # Varnish 6.5+ nests the counters under "counters"; older ones list them at the top.
        counters = data.get("counters", data)
        return {
            name: int(counter["value"])
            for name, counter in counters.items()
            if isinstance(counter, dict) and "value" in counter
        }

    def stop_process(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            if self._paused:
                self.resume()
            # SIGTERM: the manager stops the cache process and exits.
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                for pid in self.pids()[1:]:
                    os.kill(pid, signal.SIGKILL)
                self.process.kill()
                self.process.wait()
        self.process = None

    def stop(self) -> None:
        self.stop_process()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Varnish:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def local_address_works(address: str) -> bool:
    """Whether a client socket can take `address` as its source (127.0.0.2 on Linux's lo)."""
    try:
        with socket.socket() as s:
            s.bind((address, 0))
        return True
    except OSError:
        return False
