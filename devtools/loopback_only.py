"""Run a Python module with the network held to loopback, for tests and benchmarks that must prove
nothing leaves this machine.

An audit hook (PEP 578) sees every name lookup, connection and datagram the process (and its forked
children) makes through Python's socket module:

- a lookup of a name other than loopback's is answered at once with "Name or service not known"
  (EAI_NONAME: what a resolver answers for a `.invalid` name, RFC 6761) without asking any server;
- a connection or datagram to an address other than loopback is refused (ENETUNREACH).

Each such attempt is appended to the file named by STUDIO_NET_LOG (one JSON object a line:
event, target), so a test can check what was held back and that nothing else was tried.

    STUDIO_NET_LOG=net.jsonl python -m devtools.loopback_only -m studio build EPISODE --engine edge
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import runpy
import socket
import sys

LOOKUPS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex")
SENDS = ("socket.connect", "socket.sendto", "socket.sendmsg")
LOCAL_NAMES = ("localhost", "localhost.", "")


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("idna", "replace")
    host = str(host).strip("[]").split("%")[0]
    if host.lower() in LOCAL_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _record(event: str, target) -> None:
    path = os.environ.get("STUDIO_NET_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"event": event, "target": str(target), "pid": os.getpid()}) + "\n")


def _hook(event: str, args) -> None:
    if event in LOOKUPS:
        host = args[0]
        if not _is_local(host):
            _record(event, host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    elif event in SENDS:
        address = args[1] if len(args) > 1 else None
        if isinstance(address, tuple) and address and not _is_local(address[0]):
            _record(event, address)
            raise OSError(errno.ENETUNREACH, "Network is unreachable (held to loopback)")


def install() -> None:
    sys.addaudithook(_hook)


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] != "-m":
        raise SystemExit("usage: python -m devtools.loopback_only -m MODULE [ARGS...]")
    install()
    sys.argv = [argv[1], *argv[2:]]
    runpy.run_module(argv[1], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
