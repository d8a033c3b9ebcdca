"""The live web page, a sink of the live loop: ``edge-run --serve [HOST:]PORT`` and ``edge-serve``.

A Raspberry Pi on a shelf has no monitor; its owner reaches it over SSH and opens
this page on a laptop or phone. :class:`LiveServer` is an ``aiohttp`` web server in
a background thread with these routes:

=====================  ==============================================================
route                  what it returns
=====================  ==============================================================
``/``                  the page: the annotated stream, the current reading (number or
                       label, confidence), FPS and per-stage milliseconds, updated live
``/stream.mjpg``       the annotated frames as MJPEG (``multipart/x-mixed-replace``),
                       at most ``stream_fps`` frames per second
``/events``            server-sent events: one JSON status per streamed frame (the
                       frame's JSON Lines record plus ``reading``, ``confidence``,
                       ``fps``, ``timings_ms``, ``viewers``, ``model``, ``source``)
``/predictions``       the frames' JSON Lines records (exactly what ``--jsonl`` writes),
                       one per line, as they come (``application/x-ndjson``)
``/snapshot.jpg``      the newest annotated frame as one JPEG
``/healthz``           JSON: ``status`` (200 ``ok`` while frames arrive, 503 before
                       the first frame or when none came for 5 s), frame and client counts
=====================  ==============================================================

The pipeline never waits for a viewer. Its thread calls :meth:`LiveServer.write`
(the :class:`~edge.sinks.base.Sink` method), which only stores a reference in a
"latest frame" slot and appends the record to a bounded ring (256 records), under a
lock held for microseconds. An encoder thread JPEG-encodes the newest frame's
overlay (:meth:`edge.sinks.base.LiveFrame.overlay`: drawn once per frame, shared with
the other sinks) once for all viewers, at most ``stream_fps`` times a second and only
while somebody watches the stream (OpenCV releases the GIL while encoding). Each
viewer's coroutine sends the newest encoded frame when its previous write has
drained, so a slow viewer skips frames instead of queueing them; a viewer whose
write does not drain within ``write_timeout_s`` is dropped, and one that goes away
is noticed at its next write (or at once: handlers are cancelled on disconnect),
which frees its coroutine and buffers. ``/predictions`` viewers that fall more
than 256 records behind skip to the oldest record still held (the ``frame``
numbers show the gap).

Safe by default: the server binds to 127.0.0.1 unless a host is given (reach it
through an SSH tunnel). With a token set, every route asks for it (``?token=``,
``Authorization: Bearer``, ``X-Edge-Token``; compared with
:func:`hmac.compare_digest`): 401 when missing, 400 when it is not text (bytes that
are not UTF-8, control characters), 403 when wrong. Without a token, a loopback server
answers only requests whose ``Host`` is a loopback name, so a web page elsewhere cannot
reach it through DNS rebinding. No route reads or writes a file the client names: the
page's three files (``static/``) are read from the package once, at start.

Hostile clients (:mod:`~edge.sinks.web.connections`): a connection gets
``request_timeout_s`` (5 s) to send a whole request head; at most ``max_connections``
(256, or 4 per viewer) are held, idle ones included, and a new one beyond that replaces
the one idle longest (503 when every connection is in a request); the cap is lowered to
what the open-file limit (``ulimit -n``) leaves, so a thousand idle sockets cannot keep
a viewer with the token out. A request that is not valid HTTP gets aiohttp's 400 and
one DEBUG line, no traceback. No log line holds a token (:mod:`~edge.sinks.web.logs`):
the access log (logger ``edge.sinks.web``, debug level) leaves out query strings, and
every line the server logs is redacted (the token, query strings, credential headers).

Modules: :mod:`~edge.sinks.web.address` (``[HOST:]PORT``, loopback, tokens),
:mod:`~edge.sinks.web.config` (defaults, :class:`ServeConfig`), :mod:`~edge.sinks.web.frames`
(publishing and the encoder thread), :mod:`~edge.sinks.web.connections` (the connection
cap and request timeout), :mod:`~edge.sinks.web.logs` (quiet, redacted logging),
:mod:`~edge.sinks.web.routes` (the aiohttp routes),
:mod:`~edge.sinks.web.server` (:class:`LiveServer`'s lifecycle). They import
:mod:`edge.sinks.base` and nothing else of ``edge``.
"""

from edge.sinks.web.address import DEFAULT_HOST, DEFAULT_PORT, is_loopback, parse_hostport
from edge.sinks.web.config import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_VIEWERS,
    DEFAULT_REQUEST_TIMEOUT_S,
    DEFAULT_STREAM_FPS,
    RECORD_RING,
    TOKEN_ENV,
    ServeConfig,
    ServeCounters,
    reading_of,
)
from edge.sinks.web.frames import EncodedFrame
from edge.sinks.web.server import LiveServer, resolve_token

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_VIEWERS",
    "DEFAULT_REQUEST_TIMEOUT_S",
    "DEFAULT_PORT",
    "DEFAULT_STREAM_FPS",
    "RECORD_RING",
    "TOKEN_ENV",
    "EncodedFrame",
    "LiveServer",
    "ServeConfig",
    "ServeCounters",
    "is_loopback",
    "parse_hostport",
    "reading_of",
    "resolve_token",
]
