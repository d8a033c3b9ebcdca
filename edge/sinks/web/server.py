"""The web view's lifecycle: :class:`LiveServer` binds, serves from a background thread,
and stops, disconnecting its viewers; :func:`resolve_token` picks its token.

Imports :mod:`edge.sinks.web.routes` (and through it ``frames``, ``config``, ``address``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import secrets
import socket
import threading
import urllib.parse

from edge.sinks.web.address import bind_error, is_loopback
from edge.sinks.web.config import TOKEN_ENV, ServeConfig
from edge.sinks.web.logs import loop_exception_handler
from edge.sinks.web.routes import Routes

log = logging.getLogger("edge.sinks.web")


def resolve_token(host: str, token: str | None = None) -> tuple[str | None, bool]:
    """The token a web view on ``host`` asks for.

    Args:
        host: the address it binds.
        token: the token asked for (``--token``), or ``None``.

    Returns:
        ``(token, made_up)``: ``token``, else ``$EDGE_TOKEN``, else, on a non-loopback
        host, a random one (``made_up`` ``True``), else ``None`` (no token).
    """
    token = token or os.environ.get(TOKEN_ENV) or None
    if token is None and not is_loopback(host):
        return secrets.token_urlsafe(18), True
    return token, False


class LiveServer(Routes):
    """The web view of a running pipeline, a :class:`~edge.sinks.base.Sink` (see
    :mod:`edge.sinks.web` for the routes).

    Usage::

        with LiveServer(ServeConfig(port=0)).start() as server:
            print(server.url)
            edge.live.run(source, pipeline, [server])   # or server.publish(result, fps=...)

    Args:
        config: address, token, stream rate and limits.
        model: model name shown on the page.
        source: source name shown on the page.

    Raises:
        ValueError: ``config`` is not a :class:`ServeConfig`.
    """

    def __init__(self, config: ServeConfig | None = None, *, model: str = "", source: str = "") -> None:
        super().__init__(config, model=model, source=source)
        self._thread: threading.Thread | None = None
        self._encoder: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------
    def start(self, timeout_s: float = 30.0) -> LiveServer:
        """Bind and serve in a background thread; returns ``self`` once listening.

        Raises:
            OSError: the address cannot be bound (port in use, not an address of
                this machine, a privileged port); the message says what to do.
            RuntimeError: aiohttp is not installed, the server is already started, or
                it did not start in ``timeout_s``.
        """
        if self._thread is not None:
            raise RuntimeError("the server is already started")
        try:
            import aiohttp  # noqa: F401  (imported here so that edge-run starts fast without --serve)
        except ImportError as e:
            raise RuntimeError(
                f"the web view needs the aiohttp web server ({e}); install it with "
                "pip install 'aiohttp>=3.9' (it is part of the base install)"
            ) from e
        ready: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._serve_thread, args=(ready,), name="edge-serve-http", daemon=True
        )
        self._thread.start()
        try:
            self.port = ready.result(timeout=timeout_s)
        except concurrent.futures.TimeoutError as e:
            self.close()
            raise RuntimeError(f"the web server did not start within {timeout_s:.0f} s") from e
        except BaseException:
            self._thread.join(timeout=5.0)
            self._thread = None
            raise
        if self.config.encode_in_thread:
            self._encoder = threading.Thread(target=self._encoder_thread, name="edge-serve-jpeg", daemon=True)
            self._encoder.start()
        return self

    def close(self, timeout_s: float = 5.0) -> None:
        """Disconnect every viewer and stop the server's threads (idempotent)."""
        self._closing = True
        self._stop.set()
        self._new_frame.set()
        if self._encoder is not None:
            self._encoder.join(timeout=timeout_s)
            self._encoder = None
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            try:
                loop.call_soon_threadsafe(self._shutdown)
            except RuntimeError:  # the loop has already closed
                pass
            thread.join(timeout=timeout_s)
            if thread.is_alive():
                log.warning("the web server thread did not stop within %.0f s", timeout_s)
        self._thread = None

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        """``http://HOST:PORT/`` of the page (a hostname for ``0.0.0.0``/``::``); no token."""
        host = self.config.host
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname()
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port if self.port is not None else self.config.port}/"

    @property
    def viewer_url(self) -> str:
        """:attr:`url` with ``?token=...`` when a token is set: the address to open."""
        tok = self.config.token
        return self.url + (f"?token={urllib.parse.quote(tok, safe='')}" if tok else "")

    # ---- the event loop's thread -------------------------------------------------------
    def _count_accept_failed(self) -> None:
        self.counters.accept_failed += 1

    def _serve_thread(self, ready: concurrent.futures.Future[int]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.set_exception_handler(loop_exception_handler(self._redact, self._count_accept_failed))
        try:
            port = loop.run_until_complete(self._start_site())
        except BaseException as e:  # report every failure to start() in the caller's thread
            loop.run_until_complete(self._stop_site())
            loop.close()
            ready.set_exception(
                bind_error(e, self.config.host, self.config.port) if isinstance(e, OSError) else e
            )
            return
        self._loop = loop
        ready.set_result(port)
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(self._stop_site())
            finally:
                self._loop = None
                loop.close()
