"""The web view's HTTP side: the aiohttp application, its guard (token, loopback ``Host``),
security headers and routes (see :mod:`edge.sinks.web` for the table).

Each viewer's coroutine sends the newest encoded frame when its previous write has
drained, so a slow viewer skips frames instead of queueing them; a viewer whose write
does not drain within ``write_timeout_s`` is dropped, and one that goes away is noticed
at its next write (or at once: handlers are cancelled on disconnect). ``/predictions``
viewers that fall more than 256 records behind skip to the oldest record still held.

Imports :mod:`edge.sinks.web.frames`, ``config``, ``address``, ``connections`` and ``logs``;
aiohttp only when the server starts.
"""

from __future__ import annotations

import asyncio
import hmac
import importlib.resources
import itertools
import json
import logging
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from edge.sinks.web.address import host_name, is_loopback, token_bytes, token_of
from edge.sinks.web.config import KEEPALIVE_S, STALE_AFTER_S, ServeConfig, reading_of
from edge.sinks.web.connections import ConnectionGuard, listen
from edge.sinks.web.frames import BOUNDARY, FrameHub, LatestFrame, Signal
from edge.sinks.web.logs import Redactor, ServerLog, access_log_class

if TYPE_CHECKING:  # aiohttp is imported when a server starts, so edge-run starts fast without one
    from aiohttp import web

log = logging.getLogger("edge.sinks.web")

#: The page's files (in ``edge/sinks/web/static``) by route: (file name, content type).
WEB_FILES = {
    "/": ("index.html", "text/html"),
    "/app.js": ("app.js", "text/javascript"),
    "/style.css": ("style.css", "text/css"),
}
#: Content-Security-Policy of every response.
CSP = (
    "default-src 'none'; img-src 'self' data:; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def web_file(name: str) -> bytes:
    """A file of the page, read from the package (``edge/sinks/web/static/NAME``)."""
    return importlib.resources.files("edge.sinks.web").joinpath("static", name).read_bytes()


class Routes(FrameHub):
    """:class:`FrameHub` with the HTTP routes that serve its frames (arguments as there)."""

    def __init__(self, config: ServeConfig | None = None, *, model: str = "", source: str = "") -> None:
        super().__init__(config, model=model, source=source)
        self.port: int | None = None
        #: ``(address, port)`` of each listening socket once started.
        self.bound: list[tuple[str, int]] = []
        self._files = {route: (web_file(name), ctype) for route, (name, ctype) in WEB_FILES.items()}
        self._token = self.config.token.encode("utf-8") if self.config.token else None
        self._started = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._conns: ConnectionGuard | None = None
        #: Removes the token (and query strings, credential headers) from every log line.
        self._redact = Redactor([self.config.token])
        self._status_cache: tuple[int, int, bytes] = (-1, -1, b"")

    async def _start_site(self) -> int:
        from aiohttp import web

        self._frame_signal = Signal()
        self._record_signal = Signal()

        @web.middleware
        async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
            conns, transport = self._conns, request.transport
            if conns is not None:
                conns.request_started(transport)
            try:
                return await self._guard(request, handler)
            finally:
                if conns is not None:
                    conns.request_done(transport)

        app = web.Application(middlewares=[guard])
        app.on_response_prepare.append(self._security_headers)
        for route in self._files:
            app.router.add_get(route, self._static)
        app.router.add_get("/stream.mjpg", self._stream)
        app.router.add_get("/events", self._events)
        app.router.add_get("/predictions", self._predictions)
        app.router.add_get("/snapshot.jpg", self._snapshot)
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log_class=access_log_class(self._redact),
            access_log=log,
            logger=ServerLog(self._redact, self._count_malformed),
            keepalive_timeout=self.config.request_timeout_s,
            handler_cancellation=True,
            shutdown_timeout=1.0,
        )
        await self._runner.setup()
        assert self._runner.server is not None
        self._conns, self._listener = await listen(
            self._runner.server, self.config, self.counters, log_warning_below=2 * self.config.max_viewers + 8
        )
        self.bound = [(str(a[0]), int(a[1])) for a in (s.getsockname() for s in self._listener.sockets)]
        return self.bound[0][1] if self.bound else int(self.config.port)

    def _count_malformed(self) -> None:
        self.counters.malformed += 1

    async def _stop_site(self) -> None:
        """Stop listening, then close every connection (the event loop's thread)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()

    def _shutdown(self) -> None:
        for s in (self._frame_signal, self._record_signal):
            if s is not None:
                s.fire()
        assert self._loop is not None
        self._loop.stop()

    # ---- middleware ---------------------------------------------------------------------
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Every request: the token when one is set, else (loopback) a loopback ``Host``."""
        from aiohttp import web

        if self._token is not None:
            given = token_of(request)
            if given is None:
                return web.Response(
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="edge"'},
                    text="this edge-serve needs its token: open the page as /?token=TOKEN, "
                    "or send 'Authorization: Bearer TOKEN' or 'X-Edge-Token: TOKEN'\n",
                )
            given_bytes = token_bytes(given)
            if given_bytes is None:
                return web.Response(
                    status=400, text="malformed token: a token is text (UTF-8) without control characters\n"
                )
            if not hmac.compare_digest(given_bytes, self._token):
                return web.Response(status=403, text="wrong token\n")
        elif not self.config.public:
            host = host_name(request.headers.get("Host"))
            if host is not None and not is_loopback(host) and host != self.config.host.lower():
                return web.Response(
                    status=403,
                    text=f"this edge-serve answers only to this machine's own "
                    f"names (Host {host!r} refused); open http://127.0.0.1:{self.port}/, or "
                    "set a token to serve other names\n",
                )
        return await handler(request)

    async def _security_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        h = response.headers
        h.setdefault("Cache-Control", "no-store")
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
        h["X-Frame-Options"] = "DENY"
        h["Content-Security-Policy"] = CSP

    # ---- routes -------------------------------------------------------------------------
    async def _static(self, request: web.Request) -> web.Response:
        from aiohttp import web

        body, ctype = self._files[request.path]
        if request.path == "/" and self.config.token and "token" in request.query:
            # The page was opened as /?token=...: its script and style sheet need the token too
            # (the script passes it on to the stream and the events itself).
            q = b"?token=" + urllib.parse.quote(self.config.token, safe="").encode("ascii")
            for name in (b"app.js", b"style.css"):
                body = body.replace(b'"' + name + b'"', b'"' + name + q + b'"')
        return web.Response(body=body, content_type=ctype, charset="utf-8")

    async def _snapshot(self, request: web.Request) -> web.Response:
        from aiohttp import web

        loop = asyncio.get_running_loop()
        enc = await loop.run_in_executor(None, self.encode_latest)
        if enc is None:
            return web.Response(
                status=503, text="no frame yet; try again in a moment\n", headers={"Retry-After": "1"}
            )
        return web.Response(body=enc.jpeg, content_type="image/jpeg")

    async def _healthz(self, request: web.Request) -> web.Response:
        from aiohttp import web

        with self._lock:
            latest = self._latest
        age = None if latest is None else time.monotonic() - latest.published
        status = "waiting for the first frame" if age is None else "stale" if age > STALE_AFTER_S else "ok"
        body = {
            "status": status,
            "frames": self.counters.published,
            "last_frame_age_s": None if age is None else round(age, 3),
            "uptime_s": round(time.monotonic() - self._started, 1),
            "clients": self.clients,
            "connections": None if self._conns is None else self._conns.count,
            "max_connections": None if self._conns is None else self._conns.cap,
            "stream_fps": self.config.stream_fps,
            "counters": vars(self.counters),
            **self.info,
        }
        return web.json_response(body, status=200 if status == "ok" else 503)

    def _admit(self, kind: str) -> web.Response | None:
        from aiohttp import web

        if self._closing:
            return web.Response(status=503, text="the server is stopping\n")
        if sum(self._clients.values()) >= self.config.max_viewers:
            self.counters.refused_busy += 1
            return web.Response(
                status=503,
                text=f"too many viewers ({self.config.max_viewers}); try again "
                "later, or start the server with a higher --max-viewers\n",
                headers={"Retry-After": "5"},
            )
        self._clients[kind] += 1
        return None

    async def _write(self, request: web.Request, resp: web.StreamResponse, data: bytes) -> None:
        """Write ``data``; drop the viewer when the write does not drain in ``write_timeout_s``."""
        transport = request.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the viewer went away")
        timer = asyncio.get_running_loop().call_later(self.config.write_timeout_s, self._drop_slow, transport)
        try:
            await resp.write(data)
        finally:
            timer.cancel()
        self.counters.bytes_sent += len(data)

    def _drop_slow(self, transport: asyncio.BaseTransport) -> None:
        self.counters.dropped_slow += 1
        log.info("dropping a viewer whose connection did not drain in %.0f s", self.config.write_timeout_s)
        if isinstance(transport, asyncio.WriteTransport):
            transport.abort()
        else:
            transport.close()

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        refused = self._admit("stream")
        if refused is not None:
            return refused
        resp = web.StreamResponse(
            headers={"Content-Type": f"multipart/x-mixed-replace; boundary={BOUNDARY}", "Pragma": "no-cache"}
        )
        try:
            await resp.prepare(request)
            self._new_frame.set()  # a first frame for this viewer even if the pipeline has paused
            sent = 0
            assert self._frame_signal is not None
            while not self._closing:
                enc = self._jpeg
                if enc is None or enc.seq <= sent:
                    await self._frame_signal.wait(KEEPALIVE_S)
                    continue
                await self._write(request, resp, enc.part)
                sent = enc.seq
                self.counters.frames_sent += 1
        except ConnectionError:
            log.debug("stream viewer %s went away", request.remote)
        finally:
            self._clients["stream"] -= 1
        return resp

    async def _sse_response(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"})
        await resp.prepare(request)
        return resp

    def _status_bytes(self, latest: LatestFrame) -> bytes:
        """The server-sent event of ``latest`` (built once per frame and viewer count)."""
        viewers = self._clients["stream"]
        seq, n, cached = self._status_cache
        if seq == latest.seq and n == viewers:
            return cached
        frame = latest.frame
        text, conf = reading_of(frame.record)
        status = {
            **frame.record,
            "reading": text,
            "confidence": conf,
            "fps": None if frame.fps is None else round(frame.fps, 2),
            "timings_ms": {k: round(v, 3) for k, v in frame.timings_ms.items()},
            "viewers": viewers,
            "stream_fps": self.config.stream_fps,
            **self.info,
        }
        data = b"data: " + json.dumps(status, separators=(",", ":")).encode("utf-8") + b"\n\n"
        self._status_cache = (latest.seq, viewers, data)
        return data

    async def _events(self, request: web.Request) -> web.StreamResponse:
        refused = self._admit("events")
        if refused is not None:
            return refused
        interval = 1.0 / self.config.stream_fps
        loop = asyncio.get_running_loop()
        try:
            resp = await self._sse_response(request)
            await self._write(request, resp, b"retry: 2000\n\n")
            sent, due = 0, 0.0
            assert self._record_signal is not None
            while not self._closing:
                latest = self._latest
                if latest is None or latest.seq <= sent:
                    if not await self._record_signal.wait(KEEPALIVE_S):
                        await self._write(request, resp, b": keep-alive\n\n")
                    continue
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                    latest = self._latest or latest
                await self._write(request, resp, self._status_bytes(latest))
                sent, due = latest.seq, loop.time() + interval
        except ConnectionError:
            log.debug("events viewer %s went away", request.remote)
        finally:
            self._clients["events"] -= 1
        return resp

    def _records_after(self, seq: int) -> list[list[Any]]:
        """Ring entries ``[seq, record, line]`` newer than ``seq`` (all held when ``seq`` is too old)."""
        with self._lock:
            if not self._ring:
                return []
            newest = self._ring[-1][0]
            n = min(len(self._ring), max(0, newest - seq))
            return list(itertools.islice(self._ring, len(self._ring) - n, None))

    async def _predictions(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        refused = self._admit("predictions")
        if refused is not None:
            return refused
        sent = self._seq  # from the next record on, counted before the client can see the headers
        try:
            resp = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
            await resp.prepare(request)
            assert self._record_signal is not None
            while not self._closing:
                entries = self._records_after(sent)
                if not entries:
                    await self._record_signal.wait(KEEPALIVE_S)
                    continue
                for e in entries:  # each record is serialised once, for all viewers
                    if e[2] is None:
                        e[2] = json.dumps(e[1], separators=(",", ":")).encode("utf-8") + b"\n"
                await self._write(request, resp, b"".join(e[2] for e in entries))
                sent = entries[-1][0]
        except ConnectionError:
            log.debug("predictions viewer %s went away", request.remote)
        finally:
            self._clients["predictions"] -= 1
        return resp
