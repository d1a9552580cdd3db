"""``provgraph serve --workers N``: uvicorn's multi-process supervisor on a listening socket
made here, with ``TCP_NODELAY``.

uvicorn binds the shared socket of its workers as ``socket.socket(family)``, whose protocol
number is 0; asyncio turns Nagle's algorithm off only on sockets whose ``proto`` is TCP, so
with workers every response went out with Nagle on. A small response on a kept-alive
connection then waited for the client's delayed ACK: +40 ms a request (measured at L: a
cached license report took 48 ms over a kept-alive connection and 6 ms over a fresh one).
Linux hands the listener's ``TCP_NODELAY`` to every accepted connection, and the TCP
protocol number lets asyncio set it too.

Run as ``python -m provgraph.cli.supervisor HOST PORT WORKERS LOG_LEVEL ACCESS_LOG``
(``provgraph serve`` execs it, so the supervisor holds none of the CLI's imports).
"""

from __future__ import annotations

import socket
import sys

__all__ = ["listening_socket", "main"]


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for the workers to accept on, Nagle off, inheritable."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def main(argv: list[str]) -> None:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    host, port, workers, log_level, access_log = argv
    config = uvicorn.Config(
        "provgraph.service.api:served_app",
        factory=True,
        host=host,
        port=int(port),
        workers=int(workers),
        log_level=log_level,
        access_log=access_log == "on",
    )
    Multiprocess(config, sockets=[listening_socket(host, int(port))]).run()


if __name__ == "__main__":
    main(sys.argv[1:])
