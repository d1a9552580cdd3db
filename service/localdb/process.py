"""Operating-system helpers for the server process: liveness, ports, log tails, a lock.

Everything here must work from a process other than the one that started the server (the
CLI exits right after ``db start``), so state lives in files and processes are found by pid.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import socket
import subprocess
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

_PROC = Path("/proc")


def is_alive(pid: int, home: Path | None = None) -> bool:
    """True if ``pid`` runs (not a zombie) and, where /proc tells, is the server of ``home``.

    The home check guards against a recycled pid after a crash or reboot.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    proc = _PROC / str(pid)
    if not proc.is_dir():
        return True  # no /proc (macOS): trust kill(0)
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = (proc / "cmdline").read_bytes().split(b"\0")
    except (OSError, IndexError):
        return False
    if state in ("Z", "X"):
        _reap(pid)
        return False
    if home is not None:
        marker = f"--home-dir={home.absolute()}".encode()
        return marker in cmdline
    return True


def _reap(pid: int) -> None:
    """Collect an exited child of this process, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def wait_exit(pid: int, home: Path, timeout: float) -> bool:
    """Poll until ``pid`` is gone; False if it still runs after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while is_alive(pid, home):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a listener could bind ``host:port`` now (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def port_holder(port: int) -> str | None:
    """Best effort: which process listens on ``port``, e.g. ``java (pid 4021, Neo4j home /x)``."""
    ss = shutil.which("ss")
    if not ss:
        return None
    try:
        out = subprocess.run(
            [ss, "-ltnpH", f"sport = :{port}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'users:\(\("([^"]+)",pid=(\d+)', out)
    if not match:
        return None
    name, pid = match.group(1), match.group(2)
    detail = ""
    with contextlib.suppress(OSError):
        args = (_PROC / pid / "cmdline").read_bytes().decode(errors="replace").split("\0")
        home = next((a.split("=", 1)[1] for a in args if a.startswith("--home-dir=")), None)
        if home:
            detail = f", Neo4j with home {home}"
    return f"{name} (pid {pid}{detail})"


def tail(path: Path, lines: int, *, start: int = 0) -> str:
    """The last ``lines`` lines of ``path`` from byte offset ``start`` ("" if missing)."""
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            last = deque(handle, maxlen=lines)
    except FileNotFoundError:
        return ""
    return b"".join(last).decode("utf-8", errors="replace").rstrip("\n")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock, so two ``db start`` runs cannot launch two servers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
