"""A real provgraph API in a child process (uvicorn), for tests that need the wire."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from provgraph.service.settings import Settings


class ApiServer:
    """``start()`` runs ``uvicorn --factory provgraph.service.api:create_app`` on ``port``
    and waits until ``/readyz`` answers; ``kill()`` sends SIGKILL (no graceful shutdown)."""

    def __init__(self, settings: Settings, port: int, log: Path) -> None:
        assert settings.neo4j_uri
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.env = {
            **os.environ,
            "NEO4J_URI": settings.neo4j_uri,
            "PROVGRAPH_HOME": str(settings.home),
        }
        if settings.neo4j_password:
            self.env["NEO4J_USER"] = settings.neo4j_user
            self.env["NEO4J_PASSWORD"] = settings.neo4j_password
        else:
            self.env.pop("NEO4J_PASSWORD", None)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        command = [sys.executable, "-m", "uvicorn", "--factory", "provgraph.service.api:create_app"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"API exited early: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("API did not become ready")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None
