// The live page: the MJPEG stream in an <img>, the reading and timings from server-sent events.
// The token (if the page was opened as /?token=...) is passed on to every request of the page.
"use strict";
(function () {
  const token = new URLSearchParams(window.location.search).get("token");
  const withToken = (path, extra) => {
    const q = new URLSearchParams(extra || {});
    if (token) q.set("token", token);
    const s = q.toString();
    return s ? path + "?" + s : path;
  };
  const $ = (id) => document.getElementById(id);
  const img = $("stream");
  const conn = $("conn");
  let retries = 0;

  function setConn(text, cls) { conn.textContent = text; conn.className = "badge " + cls; }

  function startStream() {
    img.src = withToken("stream.mjpg", retries ? { r: String(retries) } : {});
  }
  img.addEventListener("load", () => { $("stream-note").textContent = img.naturalWidth + "\u00d7" + img.naturalHeight + " px, annotated"; });
  img.addEventListener("error", () => {
    $("stream-note").textContent = "stream interrupted; reconnecting\u2026";
    retries += 1;
    setTimeout(startStream, Math.min(10000, 1000 * retries));
  });
  $("snapshot").href = withToken("snapshot.jpg");
  $("predictions").href = withToken("predictions");

  function pct(x) { return (100 * x).toFixed(0) + "%"; }

  function show(s) {
    const reading = s.reading || "";
    $("reading").textContent = reading || "\u2013";
    const c = $("confidence");
    if (s.confidence === null || s.confidence === undefined || !reading) {
      c.textContent = "nothing read"; c.className = "confidence dim";
    } else {
      c.textContent = "confidence " + pct(s.confidence) + ((s.detections || []).length > 1 ? " (lowest)" : "");
      c.className = "confidence " + (s.confidence >= 0.8 ? "high" : s.confidence >= 0.5 ? "mid" : "low");
    }
    const ul = $("detections");
    // a classify model's detection lists its top-k labels (best first), the others their own label
    ul.replaceChildren(...(s.detections || []).flatMap((d) => (d.top_k || [d]).map((t) => {
      const li = document.createElement("li");
      li.textContent = t.label + " " + pct(t.score);
      return li;
    })));
    $("fps").textContent = s.fps === null || s.fps === undefined ? "\u2013" : s.fps.toFixed(1);
    $("frame").textContent = String(s.frame);
    const t = $("timings");
    const keys = Object.keys(s.timings_ms || {}).filter((k) => k !== "total");
    if ("total" in (s.timings_ms || {})) keys.push("total");
    t.replaceChildren(...keys.map((k) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th"); th.textContent = k;
      const td = document.createElement("td"); td.textContent = s.timings_ms[k].toFixed(2);
      tr.append(th, td);
      return tr;
    }));
    $("viewers").textContent = String(s.viewers);
    $("stream-fps").textContent = String(s.stream_fps);
    if (s.model) $("model").textContent = s.model;
    if (s.source) $("source").textContent = "source " + s.source;
  }

  const events = new EventSource(withToken("events"));
  events.addEventListener("open", () => setConn("live", "ok"));
  events.addEventListener("error", () => setConn(events.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting", "bad"));
  events.addEventListener("message", (e) => {
    try { show(JSON.parse(e.data)); } catch (err) { console.error("bad event", err); }
  });
  startStream();
})();
