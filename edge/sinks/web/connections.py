"""The web view's connections: a cap on how many are held (idle ones too), a timeout for
request heads, and the open-file budget the cap must fit in.

aiohttp closes a connection that sends nothing only after its keep-alive timeout (an hour
in aiohttp 3.14, never in older versions), and nothing counts connections that are in
no request, so a client that opens sockets and sends nothing (or half a request head)
holds one open file each until the process runs out of them; then ``accept()`` fails,
asyncio logs a traceback each second, and no viewer can connect. Here every accepted
connection passes through :class:`ConnectionGuard` first:

- a connection gets ``request_timeout_s`` to send a whole request head, then is closed
  (aiohttp's keep-alive timeout, set to the same value, covers the time between requests);
- at most ``cap`` connections are held. A new one beyond that replaces the connection
  idle longest (connected, in no request); when every connection is in a request (the
  viewers' streams, capped separately by ``max_viewers``), the new one gets a fixed
  503 and is closed, without parsing anything;
- :func:`fd_budget` lowers the cap (and the ``listen()`` backlog) to what the open-file
  limit (``ulimit -n``) leaves, so idle sockets can never use up the process's files.

A connection counts as "in a request" from the moment its request head has been parsed
(the routes' middleware calls :meth:`ConnectionGuard.request_started`) until its handler
returns (:meth:`ConnectionGuard.request_done`).

:func:`listen` binds the address with all this in place.

Imports only the standard library and :mod:`edge.sinks.web.config`.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from edge.sinks.web.config import ServeConfig, ServeCounters

log = logging.getLogger("edge.sinks.web")

#: ``listen()`` backlog: connections the kernel queues before they are accepted (more are dropped
#: and retried by the client a second later); asyncio also accepts up to this many in one go. Less
#: when the open-file limit is low (see :func:`fd_budget`).
LISTEN_BACKLOG = 128
#: Open files kept spare for everything else the process opens while it serves (a video being
#: written, JSON Lines, snapshots, a model).
OTHER_FILES = 32
_BUSY_TEXT = b"too many connections; try again later, or raise --max-connections\n"
#: What a connection beyond the cap gets when none can be let go.
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_BUSY_TEXT), _BUSY_TEXT)
)


def open_files() -> int | None:
    """Files this process has open now (``/proc/self/fd`` or ``/dev/fd``), ``None`` when unknown."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(folder))
        except OSError:
            continue
    return None


@dataclass(frozen=True)
class FdBudget:
    """How many connections fit under the open-file limit, and the ``listen()`` backlog that goes with it.

    asyncio accepts a burst of up to ``backlog`` connections two loop iterations before the
    guard sees them, and closes one that was let go an iteration after, so about four
    bursts can be open beyond the cap; :data:`OTHER_FILES` more are kept for the rest.

    Attributes:
        cap: connections held at once (>= 1).
        backlog: the ``listen()`` backlog (8..:data:`LISTEN_BACKLOG`).
        limit: the soft ``RLIMIT_NOFILE`` (``ulimit -n``); ``None`` when there is none.
    """

    cap: int
    backlog: int
    limit: int | None


def fd_budget(wanted: int) -> FdBudget:
    """The connection cap and backlog that fit under this process's open-file limit.

    Args:
        wanted: the connection cap asked for (``ServeConfig.connection_cap``).

    Returns:
        ``wanted`` and :data:`LISTEN_BACKLOG`, or less when the soft limit (``ulimit -n``)
        minus the files open now leaves less (see :class:`FdBudget`).
    """
    try:
        import resource
    except ImportError:  # Windows: no per-process limit of this kind
        return FdBudget(wanted, LISTEN_BACKLOG, None)
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return FdBudget(wanted, LISTEN_BACKLOG, None)
    free = soft - (open_files() or 64)
    backlog = max(8, min(LISTEN_BACKLOG, free // 8))
    return FdBudget(max(1, min(wanted, free - 4 * backlog - OTHER_FILES)), backlog, int(soft))


class ConnectionGuard:
    """Holds at most ``cap`` connections and closes those that send no request head in time.

    Event-loop thread only.

    Args:
        cap: connections held at once (>= 1).
        request_timeout_s: seconds a new connection gets to send a whole request head.
        counters: where ``refused_full``, ``evicted_idle`` and ``timed_out`` are counted.
    """

    def __init__(self, cap: int, request_timeout_s: float, counters: ServeCounters) -> None:
        if cap < 1:
            raise ValueError(f"the connection cap must be >= 1, got {cap}")
        self.cap = cap
        self.request_timeout_s = request_timeout_s
        self.counters = counters
        #: Connections in no request, oldest first, with the timer that closes them (``None``
        #: after a response: aiohttp's keep-alive timeout closes those).
        self._idle: collections.OrderedDict[asyncio.BaseTransport, asyncio.TimerHandle | None] = (
            collections.OrderedDict()
        )
        #: Connections in a request: how many requests each (pipelined requests run one by one).
        self._busy: dict[asyncio.BaseTransport, int] = {}

    @property
    def count(self) -> int:
        """Connections held now."""
        return len(self._idle) + len(self._busy)

    def protocol_factory(
        self, make_protocol: Callable[[], asyncio.Protocol]
    ) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for ``loop.create_server`` that guards the protocols ``make_protocol`` makes."""

        def factory() -> asyncio.Protocol:
            return GuardedProtocol(self, make_protocol)

        return factory

    # ---- called by GuardedProtocol ------------------------------------------------------------
    def admit(self, transport: asyncio.BaseTransport) -> bool:
        """A new connection: hold it (``True``), or answer 503 and close it (``False``)."""
        if self.count >= self.cap:
            if not self._idle:
                self.counters.refused_full += 1
                if isinstance(transport, asyncio.WriteTransport):
                    transport.write(BUSY_RESPONSE)
                transport.close()
                return False
            oldest, timer = self._idle.popitem(last=False)
            if timer is not None:
                timer.cancel()
            self.counters.evicted_idle += 1
            _abort(oldest)
        timer = asyncio.get_running_loop().call_later(self.request_timeout_s, self._expire, transport)
        self._idle[transport] = timer
        return True

    def closed(self, transport: asyncio.BaseTransport) -> None:
        """The connection has gone (either side closed it)."""
        timer = self._idle.pop(transport, None)
        if timer is not None:
            timer.cancel()
        self._busy.pop(transport, None)

    # ---- called by the routes' middleware ----------------------------------------------------
    def request_started(self, transport: asyncio.BaseTransport | None) -> None:
        """A request head has been parsed on ``transport``: it is no longer idle."""
        if transport is None:
            return
        if transport in self._idle:
            timer = self._idle.pop(transport)
            if timer is not None:
                timer.cancel()
        elif transport not in self._busy:
            return  # already closed
        self._busy[transport] = self._busy.get(transport, 0) + 1

    def request_done(self, transport: asyncio.BaseTransport | None) -> None:
        """The request's handler has returned: the connection is idle again (newest)."""
        n = self._busy.get(transport, 0) if transport is not None else 0
        if transport is None or n == 0:
            return
        if n > 1:
            self._busy[transport] = n - 1
            return
        del self._busy[transport]
        if not transport.is_closing():
            self._idle[transport] = None

    def _expire(self, transport: asyncio.BaseTransport) -> None:
        if transport not in self._idle:
            return
        del self._idle[transport]
        self.counters.timed_out += 1
        log.debug("closing a connection that sent no whole request in %.1f s", self.request_timeout_s)
        _abort(transport)


def _abort(transport: asyncio.BaseTransport) -> None:
    if isinstance(transport, asyncio.WriteTransport):
        transport.abort()
    else:
        transport.close()


class GuardedProtocol(asyncio.Protocol):
    """Passes a connection's events on to the protocol ``make_protocol`` makes (aiohttp's
    request handler), once :class:`ConnectionGuard` has admitted the connection."""

    def __init__(self, guard: ConnectionGuard, make_protocol: Callable[[], asyncio.Protocol]) -> None:
        self._guard = guard
        self._make_protocol = make_protocol
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._guard.admit(transport):
            return
        self._transport = transport
        self._inner = self._make_protocol()
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._guard.closed(self._transport)
        if self._inner is not None:
            self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()


async def listen(
    make_protocol: Callable[[], asyncio.Protocol],
    config: ServeConfig,
    counters: ServeCounters,
    log_warning_below: int = 0,
) -> tuple[ConnectionGuard, asyncio.Server]:
    """Bind ``config.host:config.port`` with every connection passing through a :class:`ConnectionGuard`.

    Args:
        make_protocol: the protocol factory behind the guard (aiohttp's ``web.Server``).
        config: ``host``, ``port``, ``connection_cap`` and ``request_timeout_s``.
        counters: the server's counters.
        log_warning_below: when the open-file limit lowers the cap, say so as a WARNING if
            the cap is below this, else at INFO level.

    Returns:
        ``(guard, server)``: the guard and the listening asyncio server (close it to stop).

    Raises:
        OSError: the address cannot be bound.
    """
    wanted = config.connection_cap
    budget = fd_budget(wanted)
    if budget.cap < wanted:
        log.log(
            logging.WARNING if budget.cap < log_warning_below else logging.INFO,
            "the web view holds at most %d connections (not %d) under the open-file limit %s "
            "(ulimit -n); raise it, e.g. ulimit -n 4096, to hold more",
            budget.cap,
            wanted,
            budget.limit,
        )
    guard = ConnectionGuard(budget.cap, config.request_timeout_s, counters)
    server = await asyncio.get_running_loop().create_server(
        guard.protocol_factory(make_protocol), config.host, config.port, backlog=budget.backlog
    )
    return guard, server
