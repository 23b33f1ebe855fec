"""`core serve-fleet` as the benchmarks run it: with TCP_NODELAY on the fleet's sockets.

The fleet binds its listening sockets itself as `socket(AF_INET, SOCK_STREAM)`, protocol 0, and
asyncio turns Nagle's algorithm off only for sockets whose protocol says TCP; so every answer
after a connection's first waits for the client's delayed ACK, about 40 ms, on every Core alike,
which would hide the reconciler's own cost under a fixed wait. Linux hands the option of a
listening socket down to the connections it accepts, so setting it before `listen` is enough.
Run: `python -m bench.fleetserve --count N --base-port P …` (the flags of `serve-fleet`).
I/O module (sockets).
"""

from __future__ import annotations

import socket
import sys
import types

from reconciler.cli import main as cli
from reconciler.refcore import fleet


class NoDelaySocket(socket.socket):
    def listen(self, backlog: int = 128) -> None:
        self.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().listen(backlog)


def patched() -> types.SimpleNamespace:
    names = {name: getattr(socket, name) for name in dir(socket) if not name.startswith("__")}
    return types.SimpleNamespace(**{**names, "socket": NoDelaySocket})


if __name__ == "__main__":
    setattr(fleet, "socket", patched())  # noqa: B010 (the module attribute its code reads)
    sys.exit(cli.main(["core", "serve-fleet", *sys.argv[1:]]))
