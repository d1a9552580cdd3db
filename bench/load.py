"""A lean closed-loop HTTP/1.1 load generator for Q6: ``clients`` kept-alive connections
on one asyncio loop, each sending its next GET as soon as the last answer is in.

Why not httpx threads (the generator until 2026-12-02): on the 2-core machine the load
generator shares the cores with the API and Neo4j, and httpx spent ~2.5 ms of CPU a request
(16 threads contending for the GIL), a quarter of a core at 100 requests/s taken from the
server being measured. Here a request costs the client ~0.1 ms: what wrk does, in Python,
for the one kind of request Q6 sends (GET, a Content-Length answer, no redirects).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["Answer", "LoadResult", "run_load"]


@dataclass(frozen=True)
class Answer:
    target: str  # the path and query sent
    status: int  # 0: the connection failed before a status came
    body: bytes
    ms: float


@dataclass
class LoadResult:
    seconds: float
    answers: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one entry per failed request
    client_cpu_s: float = 0.0  # CPU the generator itself used (process time)


class _ProtocolError(Exception):
    pass


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise _ProtocolError(f"bad status line {lines[0][:80]!r}")
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding":
            raise _ProtocolError("chunked answers are not expected from the API")
    if length is None:
        raise _ProtocolError("answer without Content-Length")
    return int(parts[1]), await reader.readexactly(length)


async def _client(
    host: str,
    port: int,
    extra: str,
    deadline: float,
    next_target: Callable[[], str],
    on_answer: Callable[[Answer], None],
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < deadline:
        target = next_target()
        request = f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode()
        start = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
                writer.get_extra_info("socket").setsockopt(
                    socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
                )
            assert reader is not None
            status, body = await _exchange(reader, writer, request)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, _ProtocolError):
            status, body = 0, b""
            if writer is not None:
                writer.close()
            reader = writer = None  # a fresh connection for the next request
        on_answer(Answer(target, status, body, (time.perf_counter() - start) * 1000))
    if writer is not None:
        writer.close()


def run_load(
    base_url: str,
    *,
    clients: int,
    seconds: float,
    next_target: Callable[[], str],
    on_answer: Callable[[Answer], None],
    every_quarter_second: Callable[[], None] | None = None,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """``clients`` connections for ``seconds``; ``next_target`` gives each request's path
    and query; ``on_answer`` sees every answer (status 0: a transport failure);
    ``every_quarter_second`` runs on the loop meanwhile (e.g. to sample memory); ``headers``
    go with every request."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    result = LoadResult(seconds=0.0, answers=0)
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())

    def record(answer: Answer) -> None:
        result.answers += 1
        result.latencies_ms.append(answer.ms)
        if answer.status != 200:
            result.errors.append(str(answer.status) if answer.status else "transport")
        on_answer(answer)

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        tasks = [
            asyncio.create_task(_client(host, port, extra, deadline, next_target, record))
            for _ in range(clients)
        ]
        while not all(task.done() for task in tasks):
            if every_quarter_second is not None:
                every_quarter_second()
            await asyncio.wait(tasks, timeout=0.25)
        for task in tasks:
            task.result()  # a bug in the generator itself should not pass silently

    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(main())
    result.seconds = time.perf_counter() - wall
    result.client_cpu_s = time.process_time() - cpu
    return result
