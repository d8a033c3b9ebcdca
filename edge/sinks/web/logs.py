"""What the web view logs, and what it never logs: tokens.

Every line the server logs (logger ``edge.sinks.web``) goes through :class:`Redactor`
first: the token itself, anything after ``?`` in a URL, ``token=...``, ``Bearer ...`` and
the values of the ``Authorization``, ``X-Edge-Token`` and ``Cookie`` headers are
replaced. The three ways aiohttp and asyncio log are all routed here:

- :func:`access_log_class`: the access log (debug level), path without the query;
- :class:`ServerLog`, given to aiohttp as its server logger: a request that is not valid
  HTTP (a bad request line or header, an overlong URL or header) gets its 400 from
  aiohttp and one DEBUG line here, no traceback; anything else aiohttp reports is
  logged at its level with the traceback as redacted text;
- :func:`loop_exception_handler`, the serving loop's exception handler: running out of
  open files in ``accept()`` is one WARNING line at most every
  :data:`WARN_EVERY_S` seconds (asyncio logs a traceback for each attempt); anything
  else is an ERROR with the redacted traceback.

Imports only the standard library (aiohttp when a server starts).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("edge.sinks.web")

#: Seconds between two warnings about running out of open files.
WARN_EVERY_S = 60.0
_QUERY = re.compile(r"\?[^\s'\"]+")
_TOKEN_PARAM = re.compile(r"(?i)(token=)[^\s&'\"]*")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[^\s'\"]+")
_SECRET_HEADER = re.compile(r"(?i)\b(authorization|x-edge-token|cookie)\b(?:(?!\\r|\\n)[^\r\n'\"])*")
_OUT_OF_FILES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class Redactor:
    """Removes tokens from log text.

    Args:
        secrets: strings never to log (the token); their URL-quoted forms are removed too.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        forms = set()
        for s in secrets:
            if s:
                forms.update({s, urllib.parse.quote(s, safe=""), urllib.parse.quote_plus(s)})
        self._secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """``text`` without tokens, query strings or credential headers."""
        for s in self._secrets:
            text = text.replace(s, "<token>")
        text = _QUERY.sub("?<query>", text)
        text = _TOKEN_PARAM.sub(r"\1<redacted>", text)
        text = _BEARER.sub(r"\1 <redacted>", text)
        return _SECRET_HEADER.sub(r"\1: <redacted>", text)


def one_line(exc: BaseException, limit: int = 160) -> str:
    """``ExcType: message`` on one line, at most ``limit`` characters of the message."""
    msg = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {msg[:limit]}{'...' if len(msg) > limit else ''}"


def _is_malformed(exc: BaseException) -> bool:
    """Whether aiohttp raised ``exc`` because a request was not valid HTTP."""
    from aiohttp.http_exceptions import HttpProcessingError

    return isinstance(exc, HttpProcessingError)


class ServerLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server logger (``logger=`` of its request handler), quiet and redacted.

    Args:
        redact: the server's :class:`Redactor`.
        on_malformed: called once for each request that was not valid HTTP.
    """

    def __init__(self, redact: Redactor, on_malformed: Callable[[], None]) -> None:
        super().__init__(log, {})
        self._redact = redact
        self._on_malformed = on_malformed

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        exc_info = kwargs.pop("exc_info", None)
        exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
        if exc is True:
            import sys

            exc = sys.exc_info()[1]
        text = str(msg) % args if args else str(msg)
        if isinstance(exc, BaseException) and _is_malformed(exc):
            self._on_malformed()
            if self.logger.isEnabledFor(logging.DEBUG):
                text = text.replace("Error handling request", "malformed request")
                self.logger.debug("%s", self._redact(f"{text}: {one_line(exc)} (answered 400)"))
            return
        if not self.logger.isEnabledFor(level):
            return
        if isinstance(exc, BaseException):
            text += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
        self.logger.log(level, "%s", self._redact(text))

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return msg, kwargs


def loop_exception_handler(
    redact: Redactor, on_out_of_files: Callable[[], None]
) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
    """The serving loop's exception handler (``loop.set_exception_handler``)."""
    last_warning = [-WARN_EVERY_S]

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message", "unhandled exception in the web server's loop"))
        if isinstance(exc, OSError) and exc.errno in _OUT_OF_FILES:
            on_out_of_files()
            now = time.monotonic()
            if now - last_warning[0] >= WARN_EVERY_S:
                last_warning[0] = now
                log.warning(
                    "the web view cannot accept connections: %s (%s); raise the open-file limit "
                    "(ulimit -n) or lower --max-connections",
                    exc.strerror,
                    message,
                )
            return
        text = message
        if isinstance(exc, BaseException):
            text += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
        log.error("%s", redact(text))

    return handle


def access_log_class(redact: Redactor) -> type:
    """A debug-level aiohttp access logger: the path without the query string, redacted."""
    from aiohttp.abc import AbstractAccessLogger

    class AccessLog(AbstractAccessLogger):
        def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
            if request.method == "UNKNOWN" and response.status == 400:
                return  # aiohttp's stand-in for a request it could not parse: ServerLog has logged it
            if self.logger.isEnabledFor(logging.DEBUG):
                line = f"{request.remote} {request.method} {request.path} {response.status}"
                self.logger.debug("%s %.1f ms", redact(line), 1000.0 * time)

    return AccessLog
