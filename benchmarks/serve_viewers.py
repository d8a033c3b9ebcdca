"""The viewers of the web-view load test (:mod:`benchmarks.serve_load`): browser-alike
clients, each holding the MJPEG stream and the server-sent events open as the page does,
run in a child process so their Python work does not share the loop's GIL.

Run by :mod:`benchmarks.serve_load` as ``python -m benchmarks.serve_viewers URL N SLOW
SECONDS RECONNECT_S MEASURE_AFTER``; prints one JSON line (per-viewer rates, CPU seconds).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
from typing import Any

#: The MJPEG part boundary line (see edge.sinks.web).
_MARKER = b"--frame\r\n"


async def _read_stream(
    session: Any,
    url: str,
    end: float,
    measure_from: float,
    slow: bool,
    reconnect_s: float,
    st: dict[str, Any],
) -> None:
    import aiohttp

    loop = asyncio.get_running_loop()
    while loop.time() < end:
        stop = min(end, loop.time() + reconnect_s) if reconnect_s > 0 else end
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=None, sock_read=30)) as r:
                if r.status != 200:
                    st["errors"].append(f"stream {r.status}")
                    await asyncio.sleep(1.0)
                    continue
                tail = b""
                while loop.time() < stop:
                    try:
                        chunk = await asyncio.wait_for(
                            r.content.read(8192 if slow else 262144), max(0.01, stop - loop.time())
                        )
                    except asyncio.TimeoutError:  # noqa: UP041 (an alias only from Python 3.11)
                        break
                    if not chunk:
                        break
                    data = tail + chunk
                    if loop.time() >= measure_from:
                        st["frames"] += data.count(_MARKER)
                        st["bytes"] += len(chunk)
                    tail = data[-(len(_MARKER) - 1) :]
                    if slow:
                        await asyncio.sleep(0.1)  # ~80 KB/s
            st["connects"] += 1
        except (aiohttp.ClientError, OSError) as e:
            st["errors"].append(f"stream {type(e).__name__}: {e}")
            await asyncio.sleep(0.5)


async def _read_events(
    session: Any, url: str, end: float, measure_from: float, reconnect_s: float, st: dict[str, Any]
) -> None:
    import aiohttp

    loop = asyncio.get_running_loop()
    while loop.time() < end:
        stop = min(end, loop.time() + reconnect_s) if reconnect_s > 0 else end
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=None, sock_read=30)) as r:
                while loop.time() < stop:
                    try:
                        line = await asyncio.wait_for(r.content.readline(), max(0.01, stop - loop.time()))
                    except asyncio.TimeoutError:  # noqa: UP041 (an alias only from Python 3.11)
                        break
                    if not line:
                        break
                    if line.startswith(b"data: ") and loop.time() >= measure_from:
                        st["events"] += 1
        except (aiohttp.ClientError, OSError) as e:
            st["errors"].append(f"events {type(e).__name__}: {e}")
            await asyncio.sleep(0.5)


async def _viewers(
    base: str, n: int, slow: int, seconds: float, reconnect_s: float, measure_after: float
) -> dict[str, Any]:
    import aiohttp

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    end, measure_from = t0 + seconds, t0 + measure_after
    stats: list[dict[str, Any]] = [
        {"slow": i < slow, "frames": 0, "bytes": 0, "events": 0, "connects": 0, "errors": []}
        for i in range(n)
    ]
    conn = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=conn, auto_decompress=False) as session:
        tasks = []
        for st in stats:
            tasks.append(
                _read_stream(session, base + "stream.mjpg", end, measure_from, st["slow"], reconnect_s, st)
            )
            tasks.append(_read_events(session, base + "events", end, measure_from, reconnect_s, st))
        await asyncio.gather(*tasks)
    measured = max(1e-9, seconds - measure_after)
    for st in stats:
        st["stream_fps"] = st["frames"] / measured
        st["events_per_s"] = st["events"] / measured
        st["errors"] = st["errors"][:5]
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"viewers": stats, "cpu_s": ru.ru_utime + ru.ru_stime, "seconds": seconds}


def viewer_process_main(
    url: str, n: int, slow: int, seconds: float, reconnect_s: float, measure_after: float
) -> int:
    """Run ``n`` viewers against ``url`` for ``seconds``; print their JSON summary on stdout."""
    out = asyncio.run(_viewers(url, n, slow, seconds, reconnect_s, measure_after))
    print(json.dumps(out))
    return 0


# -- the loop (this process) ------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``URL N SLOW SECONDS RECONNECT_S MEASURE_AFTER`` -> :func:`viewer_process_main`."""
    url, n, slow, seconds, reconnect, measure_after = sys.argv[1:] if argv is None else argv
    return viewer_process_main(url, int(n), int(slow), float(seconds), float(reconnect), float(measure_after))


if __name__ == "__main__":
    sys.exit(main())
