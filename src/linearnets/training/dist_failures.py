"""What a failed join or collective of a data-parallel run means: another process lost
(:class:`PeerLostError`, :func:`lost_connection`), rank 0's port taken (or held by another
program where rank 0's store should answer), or the processes unable to reach each other as they
joined; torch's own words are kept for ``--debug``.
"""

from __future__ import annotations

import os
import random
import re
import socket
import struct
import subprocess
import sys

import torch.distributed as dist

from linearnets._env import env_int
from linearnets.errors import LinearnetsError, UsageError

__all__ = [
    "PeerLostError",
    "address_in_use",
    "lost_connection",
    "mesh_unreachable",
    "port_held_by_another_program",
]


class PeerLostError(LinearnetsError):
    """Another process of a data-parallel run stopped (killed, out of memory): a collective lost it."""


def address_in_use(exc: BaseException) -> UsageError | None:
    """Return rank 0's failure to listen on a port another program holds as a UsageError naming
    MASTER_PORT, else ``None`` (torch raised "The server socket has failed to listen ...").

    Where a torch.distributed store answers on that port, the likely cause is not a stray program
    but another process started with ``RANK=0`` (two started by hand with the same RANK) or another
    data-parallel job on the same port: that is said instead (:func:`_store_at`).
    """
    if not isinstance(exc, dist.DistError) or "EADDRINUSE" not in str(exc):
        return None
    address, port = os.environ.get("MASTER_ADDR"), os.environ.get("MASTER_PORT", "").strip()
    where = f"{address}:{port}"
    if address and _is_port(port) and _store_at(address, port) == "store":
        world = os.environ.get("WORLD_SIZE", "")
        ranks = f" in 0..{int(world) - 1}" if _is_port(world) and int(world) > 1 else ""
        return UsageError(
            f"RANK=0 must be given to one process only, but a torch.distributed store already "
            f"answers at {where} (EADDRINUSE): another process started with RANK=0 serves it, or "
            f"another data-parallel job uses that port; give each process its own RANK{ranks}, or "
            "pass another port to every process of a separate job, e.g. MASTER_PORT=29501 "
            "(torchrun --master-port 29501)"
        )
    return UsageError(
        f"MASTER_PORT must be a port no other program listens on, got {where}, which is in use "
        "(EADDRINUSE); pass another to every process, e.g. torchrun --master-port 29501 (or "
        "torchrun --standalone, which picks a free one)"
    )


# torch's client of rank 0's store, answered by a program that is not one: "Ping failed, invalid
# value returned from server. Expected: 27968, Got: 1347703880" ("HTTP", read as a number; torch 2.13)
_NOT_A_STORE = "Ping failed, invalid value returned from server"

# that client, in a Python of its own: its C++ side logs each failed ping as a warning with 25
# lines of C++ frames, and the last as an error, which no level set once torch is loaded quiets;
# and its ping waits without end on a program that answers nothing (python -m http.server)
_PROBE = """
import datetime, sys
import torch.distributed as dist
dist.TCPStore(sys.argv[1], int(sys.argv[2]), is_master=False, wait_for_workers=False,
              timeout=datetime.timedelta(seconds=float(sys.argv[3])))
"""


# asked of a program that gave torch's ping no answer (python -m http.server waits for a line that
# torch never sends); a web server answers "HTTP/1.0 200 OK", "HTTP/1.1 400 Bad Request", ..., and
# rank 0's store never does: the libuv one (torch's default) answers nothing, the older one closes
_HTTP_REQUEST = b"HEAD / HTTP/1.0\r\n\r\n"
_HTTP_WAIT = 2.0  # seconds: a web server on the network answers in milliseconds


def port_held_by_another_program(seconds: float = 1.0, limit: float = 10.0) -> UsageError | None:
    """Return, for a process that waited in vain for rank 0 at ``MASTER_ADDR:MASTER_PORT``, the
    program other than rank 0's torch.distributed store that answers there as a UsageError naming
    the port and the fix; ``None`` where nothing answers there, rank 0's store does, or it cannot
    be told within ``limit`` seconds.

    Rank 0 refuses a port another program holds (:func:`address_in_use`), but on the others torch
    retried that program's answers for up to 30 minutes, logging each as a warning with 25 lines
    of C++ frames, and the wait ended blaming rank 0 for not joining. Asked once the wait is given
    up: torch's own client is started in a Python of its own for ``seconds``, its logs dropped.
    Where it got no answer at all (a web server that waits for a line, as ``python -m http.server``
    does), the port is asked once more as a web server is, and named if it answers as one. A
    program that answers neither is not named: it cannot be told from a rank 0 that is stopped
    (Ctrl-Z) or too busy to answer, whose port still takes connections.
    """
    address, port = os.environ.get("MASTER_ADDR"), os.environ.get("MASTER_PORT", "").strip()
    if env_int("RANK", 0) == 0 or not address or not _is_port(port) or not sys.executable:
        return None  # rank 0 holds the store itself (a port in use: refused as it started)
    found = _store_at(address, port, seconds=seconds, limit=limit)
    if found is None or found == "store":  # nothing there, rank 0's store, or not to be told
        return None
    answered_torch = found == "other"
    if not answered_torch and not _answers_http(address, int(port)):
        return None
    return UsageError(
        f"MASTER_PORT must be a port no other program listens on, got {address}:{port}, where a "
        "program other than rank 0's torch.distributed store answered; pass a free port to every "
        "process, e.g. MASTER_PORT=29501 (or start them with torchrun --standalone, which picks "
        "one)"
    )


def _store_at(address: str, port: str, *, seconds: float = 1.0, limit: float = 10.0) -> str | None:
    """Ask ``address:port`` with torch's store ping over a socket (:func:`_pinged`), or where the
    connection closed unanswered, with torch's own store client (in a Python of its own, its C++
    logs dropped, for ``seconds``): ``"store"`` where a torch.distributed store answers,
    ``"other"`` where a program that is not one answers its ping, ``"silent"`` where the ping got
    no answer (within :data:`_PING_WAIT` seconds, or the client's ``limit``), ``None`` where
    nothing listens or the client could not be started."""
    if not sys.executable:
        return None
    try:
        with socket.create_connection((address, int(port)), timeout=seconds) as conn:
            pinged = _pinged(conn)
    except (OSError, ValueError, UnicodeError):  # nothing listens there
        return None
    if pinged is not None:
        return pinged
    try:  # closed unanswered: a store of a torch without PING, or a program that closes
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, address, port, str(seconds)],
            capture_output=True,
            text=True,
            timeout=limit,
            env={**os.environ, "TORCH_CPP_LOG_LEVEL": "FATAL"},
        )
    except subprocess.TimeoutExpired:  # one that answers nothing (its ping waits)
        return "silent"
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode == 0:
        return "store"
    return "other" if _NOT_A_STORE in done.stderr else "silent"


# torch's store protocol (TCPStore, both its servers, torch 2.3-2.13): a client first sends
# VALIDATE (query 0) with a magic number, answered by nothing, then PING (query 13) with a number
# the store sends back; each a one-byte query then a uint32 in the machine's order (little-endian)
_VALIDATE = struct.pack("<BI", 0, 0x3C85F7CE)
_PING = 13
_PING_WAIT = 2.0  # seconds: a store answers in milliseconds; one that waits is stopped or busy


def _pinged(conn: socket.socket) -> str | None:
    """Ping the program on ``conn`` as torch's store client does, over the socket itself (no
    Python of its own to start, whose torch import alone took seconds): ``"store"`` where the
    number comes back, ``"other"`` where something else does, ``"silent"`` where nothing comes
    within :data:`_PING_WAIT` seconds, ``None`` where the connection closed unanswered."""
    nonce = random.randrange(1, 2**31)
    reply = b""
    try:
        conn.settimeout(_PING_WAIT)
        conn.sendall(_VALIDATE + struct.pack("<BI", _PING, nonce))
        while len(reply) < 4:
            part = conn.recv(4 - len(reply))
            if not part:
                break
            reply += part
    except TimeoutError:
        return "silent" if not reply else "other"
    except OSError:  # reset: closed unanswered
        pass
    if not reply:
        return None
    return "store" if reply == struct.pack("<I", nonce) else "other"


def _is_port(text: str) -> bool:
    """Whether ``text`` is written in the digits 0-9 alone (``str.isdigit`` also takes "²")."""
    return text.isascii() and text.isdigit()


def _answers_http(address: str, port: int) -> bool:
    """Whether a web server answers at ``address:port``: its reply to a HEAD request starts with
    ``HTTP/`` within :data:`_HTTP_WAIT` seconds, which rank 0's store never sends."""
    reply = b""
    try:
        with socket.create_connection((address, port), timeout=_HTTP_WAIT) as conn:
            conn.sendall(_HTTP_REQUEST)
            while len(reply) < len(b"HTTP/"):
                part = conn.recv(len(b"HTTP/") - len(reply))
                if not part:
                    break
                reply += part
    except (OSError, ValueError, UnicodeError):
        return False
    return reply == b"HTTP/"


# gloo's join connects every pair of processes; one gone (or out of reach) meanwhile fails it, e.g.
# "Gloo connectFullMesh failed with [/…/gloo/transport/tcp/pair.cc:152] timed out connecting:
# SO_ERROR: Connection refused, remote=[127.0.0.1]:15764$0" (torch 2.13)
_MESH_FAILED = re.compile(r"^Gloo connectFullMesh failed with \[[^\]\s]*gloo[^\]\s]*\]\s*")


def mesh_unreachable(exc: BaseException) -> PeerLostError | None:
    """Return gloo's failure to connect the processes as they joined as a PeerLostError naming
    the two likely causes, else ``None`` (it was printed as an unexpected RuntimeError)."""
    text = str(exc).strip()
    if type(exc) is not RuntimeError or not _MESH_FAILED.match(text):
        return None
    reason = _MESH_FAILED.sub("", text.splitlines()[0]).split(". This is typically caused by")[0]
    return PeerLostError(
        f"another process of the data-parallel run could not be reached as the processes joined "
        f"(gloo: {reason.rstrip(' .')}): it may have stopped (see its own output), or this "
        "machine cannot reach it (a firewall, or another network interface: set "
        "GLOO_SOCKET_IFNAME); nothing was trained: start every process again as before"
    )


# gloo reports a lost peer as a plain RuntimeError whose text starts with its C++ source file, e.g.
# "[/…/third_party/gloo/gloo/transport/tcp/pair.cc:537] Read error [127.0.0.1]:12011: Connection
# reset by peer. This is typically caused by a remote worker hanging … GLHF!" (torch 2.13)
_GLOO_SOURCE = re.compile(r"^\[[^\]\s]*gloo[^\]\s]*\]\s*")


def lost_connection(exc: BaseException) -> str | None:
    """Return, in a few words, why a collective failed for want of another process; else ``None``.

    That is torch.distributed's own ``DistError`` (NCCL's ``DistBackendError``, a store's
    ``DistNetworkError``, ...) or gloo's transport error, a plain ``RuntimeError``; any other
    error (a bug, a bad tensor) is not one.
    """
    text = str(exc).strip()
    if isinstance(exc, dist.DistError):
        first = text.splitlines()[0] if text else type(exc).__name__
    elif type(exc) is RuntimeError and _GLOO_SOURCE.match(text):
        first = _GLOO_SOURCE.sub("", text.splitlines()[0])
    else:
        return None
    # gloo's advice to check the other worker's logs (and its "GLHF!") is ours to give
    first = first.split(". This is typically caused by")[0].rstrip(" .")
    return first if len(first) <= 200 else first[:199] + "…"
