"""Addresses and access of the web view: ``[HOST:]PORT`` parsing, loopback checks, bind
errors that say what to do, and the token or ``Host`` a request carries.

Imports only the standard library.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

#: Port of ``edge-serve`` when none is given, and of ``--serve PORT`` examples.
DEFAULT_PORT = 8080
#: Host a bare ``--serve PORT`` binds to: this machine only.
DEFAULT_HOST = "127.0.0.1"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def parse_hostport(text: str, default_host: str = DEFAULT_HOST) -> tuple[str, int]:
    """Split ``[HOST:]PORT`` into a host and a port.

    ``"8080"`` is ``(default_host, 8080)``; ``"0.0.0.0:8080"``, ``"localhost:8080"``,
    ``"[::1]:8080"`` and ``"[::]:8080"`` give their host (IPv6 without brackets). Port
    0 asks the system for a free port.

    Raises:
        ValueError: no port, a port outside 0..65535, an empty host (``":8080"``:
            write ``127.0.0.1:8080`` or ``0.0.0.0:8080``), or an IPv6 address
            without brackets. The message says what to write.
    """
    s = str(text).strip()
    example = (
        f"give PORT (this machine only, e.g. {DEFAULT_PORT}) or HOST:PORT "
        f"(e.g. 127.0.0.1:{DEFAULT_PORT}, or 0.0.0.0:{DEFAULT_PORT} for every interface)"
    )
    if not s:
        raise ValueError(f"empty address; {example}")
    if s.isdigit():
        host, port_text = default_host, s
    elif s.startswith("["):
        end = s.find("]")
        if end < 0 or s[end + 1 : end + 2] != ":":
            raise ValueError(
                f"bad address {s!r}: write an IPv6 host as [ADDRESS]:PORT, e.g. [::1]:{DEFAULT_PORT}"
            )
        host, port_text = s[1:end], s[end + 2 :]
    else:
        host, sep, port_text = s.rpartition(":")
        if not sep:
            raise ValueError(f"bad address {s!r}: no port; {example}")
        if ":" in host:
            raise ValueError(f"bad address {s!r}: write an IPv6 host in brackets, e.g. [::1]:{DEFAULT_PORT}")
    if not host:
        port_hint = port_text or DEFAULT_PORT
        raise ValueError(
            f"bad address {s!r}: no host before ':'; write 127.0.0.1:{port_hint} "
            f"(this machine only) or 0.0.0.0:{port_hint} (every interface)"
        )
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(
            f"bad port {port_text!r} in {s!r}: a port is a number from 1 to 65535 "
            f"(0 picks a free one); {example}"
        )
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) is this machine only: 127.0.0.0/8, ::1 or localhost."""
    h = host.strip().strip("[]").lower().rstrip(".")
    if h in _LOOPBACK_NAMES or h.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def bind_error(e: BaseException, host: str, port: int) -> OSError:
    """An OSError whose message says what to do about a failed bind."""
    where = f"{host}:{port}"
    code = getattr(e, "errno", None)
    if isinstance(e, socket.gaierror):
        msg = (
            f"cannot serve on {where}: unknown host name {host!r} ({e.strerror}); use an address of this "
            f"machine, 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)"
        )
    elif code == errno.EADDRINUSE:
        msg = (
            f"cannot serve on {where}: the port is in use (another edge-serve?); choose another, e.g. "
            f"--serve {host}:{port + 1 if port < 65535 else 8080}, or stop the program using it "
            f"(`ss -ltnp | grep :{port}` shows it)"
        )
    elif code == errno.EADDRNOTAVAIL:
        msg = (
            f"cannot serve on {where}: {host} is not an address of this machine; use 127.0.0.1 (this "
            f"machine only, reach it through an SSH tunnel) or 0.0.0.0 (every interface)"
        )
    elif code == errno.EACCES:
        msg = f"cannot serve on {where}: ports below 1024 need root; use a port such as {DEFAULT_PORT}"
    else:
        msg = f"cannot serve on {where}: {e}"
    err = OSError(msg)
    err.errno = code
    return err


def token_of(request: web.Request) -> str | None:
    """The token a request carries: ``Authorization: Bearer``, ``X-Edge-Token`` or ``?token=``."""
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    header = request.headers.get("X-Edge-Token")
    if header is not None:
        return header.strip()
    return request.query.get("token")


def token_bytes(given: str) -> bytes | None:
    """The UTF-8 bytes of a token a request carries, ``None`` when it cannot be a token: bytes
    that are not UTF-8 (aiohttp hands them over as surrogates) or control characters."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in given):
        return None
    try:
        return given.encode("utf-8")
    except UnicodeEncodeError:
        return None


def host_name(host_header: str | None) -> str | None:
    """The host name of a ``Host`` header without the port (``None`` when absent)."""
    if not host_header:
        return None
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[1 : h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h
