// iwf console page. Everything it shows comes from the console's own API
// (/api/…) and live feed (/ws); data is written with textContent only,
// because addresses and ids come from the network.
"use strict";

(function () {
  const MAX_LIVE_ROWS = 500;      // rows kept in the live table
  const MAX_RENDER_PER_FRAME = 200; // rows drawn per animation frame
  const MAX_TRACKED_IDS = 5000;   // message ids whose live steps are kept for the history
  const MAX_STEPS_PER_ID = 20;

  const $ = (id) => document.getElementById(id);

  // ---- helpers -----------------------------------------------------------

  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text === undefined || text === null ? "" : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function clock(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    const p = (n, w) => String(n).padStart(w, "0");
    return p(d.getHours(), 2) + ":" + p(d.getMinutes(), 2) + ":" + p(d.getSeconds(), 2) + "." + p(d.getMilliseconds(), 3);
  }

  function dateTime(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleString();
  }

  function num(v) {
    return typeof v === "number" ? v.toLocaleString() : "–";
  }

  let noticeTimer = 0;
  function notice(text, isError) {
    const n = $("notice");
    n.textContent = text;
    n.className = isError ? "notice error" : "notice";
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { n.textContent = ""; }, 8000);
  }

  // api calls the console's API; on failure it throws an Error with the
  // server's {"error"} text.
  async function api(method, path, body) {
    const init = { method: method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(path, init);
    if (resp.status === 401) {
      setConnection("signed out", false);
      throw new Error("Not signed in: open the console URL with ?token= that iwf printed when it started.");
    }
    if (!resp.ok) {
      let msg = resp.status + " " + resp.statusText;
      try { msg = (await resp.json()).error || msg; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    return resp.status === 204 ? null : resp.json();
  }

  function setConnection(text, ok) {
    const c = $("connection");
    c.textContent = text;
    c.className = ok ? "badge up" : "badge down";
  }

  // ---- live traffic ------------------------------------------------------

  let paused = false;
  let queue = [];        // events waiting to be drawn (or held while paused)
  let skipped = 0;       // events never drawn: more arrived than can be shown
  let serverDropped = 0; // events the console did not send us (we were slow)
  let drawScheduled = false;
  const steps = new Map(); // message id -> live events, for the history

  function rowText(ev) {
    return [ev.type, ev.kind, ev.network, ev.direction, ev.route, ev.id, ev.from, ev.to, ev.reason].join(" ").toLowerCase();
  }

  function liveRow(ev) {
    const tr = document.createElement("tr");
    tr.setAttribute("data-testid", "live-row");
    tr.dataset.search = rowText(ev);
    tr.className = "ev-" + ev.type;
    cell(tr, clock(ev.time));
    cell(tr, ev.type, "event");
    cell(tr, ev.kind);
    cell(tr, ev.network);
    cell(tr, ev.direction === "to_legacy" ? "CPM → legacy" : ev.direction === "to_cpm" ? "legacy → CPM" : ev.direction);
    cell(tr, ev.route);
    cell(tr, ev.id, "mono");
    cell(tr, ev.from, "mono");
    cell(tr, ev.to, "mono");
    cell(tr, ev.segments || "", "num");
    cell(tr, ev.bytes || "", "num");
    cell(tr, ev.latency_ms ? ev.latency_ms.toFixed(1) : "", "num");
    cell(tr, ev.reason);
    applyFilter(tr);
    return tr;
  }

  function filterText() {
    return $("filter").value.trim().toLowerCase();
  }

  function applyFilter(tr) {
    const f = filterText();
    tr.hidden = f !== "" && !tr.dataset.search.includes(f);
  }

  function remember(ev) {
    if (!ev.id) return;
    let list = steps.get(ev.id);
    if (!list) {
      if (steps.size >= MAX_TRACKED_IDS) steps.delete(steps.keys().next().value);
      list = [];
      steps.set(ev.id, list);
    }
    if (list.length < MAX_STEPS_PER_ID) list.push(ev);
  }

  function onEvent(ev) {
    remember(ev);
    if (ev.type === "failed" || ev.type === "expired" || ev.type === "retry") scheduleDeadRefresh();
    queue.push(ev);
    if (queue.length > MAX_LIVE_ROWS) {
      // Only the newest MAX_LIVE_ROWS can be shown anyway.
      skipped += queue.length - MAX_LIVE_ROWS;
      queue = queue.slice(queue.length - MAX_LIVE_ROWS);
    }
    scheduleDraw();
  }

  function scheduleDraw() {
    if (paused || drawScheduled) return;
    drawScheduled = true;
    requestAnimationFrame(draw);
  }

  function draw() {
    drawScheduled = false;
    if (paused) return;
    const body = $("live-rows");
    const batch = queue.splice(0, MAX_RENDER_PER_FRAME);
    const frag = document.createDocumentFragment();
    for (let i = batch.length - 1; i >= 0; i--) frag.appendChild(liveRow(batch[i]));
    body.insertBefore(frag, body.firstChild);
    while (body.rows.length > MAX_LIVE_ROWS) body.deleteRow(-1);
    liveInfo();
    if (queue.length > 0) scheduleDraw();
  }

  function liveInfo() {
    const parts = [];
    if (paused) parts.push("paused, " + queue.length + " new rows held");
    if (skipped > 0) parts.push(skipped.toLocaleString() + " rows skipped (too many to show)");
    if (serverDropped > 0) parts.push(serverDropped.toLocaleString() + " rows not received (this page was too slow)");
    $("live-info").textContent = parts.join("; ");
  }

  $("pause").addEventListener("click", () => {
    paused = !paused;
    $("pause").textContent = paused ? "Resume" : "Pause";
    $("pause").setAttribute("aria-pressed", String(paused));
    liveInfo();
    scheduleDraw();
  });
  $("clear").addEventListener("click", () => {
    $("live-rows").replaceChildren();
    queue = [];
    skipped = 0;
    liveInfo();
  });
  $("filter").addEventListener("input", () => {
    for (const tr of $("live-rows").rows) applyFilter(tr);
  });

  // ---- status ------------------------------------------------------------

  function onTick(t) {
    $("fig-accepted").textContent = num(t.accepted);
    $("fig-delivered").textContent = num(t.delivered);
    $("fig-failed").textContent = num(t.failed);
    $("fig-expired").textContent = num(t.expired);
    $("fig-accepted-rate").textContent = num(t.accepted_per_s);
    $("fig-delivered-rate").textContent = num(t.delivered_per_s);
    $("fig-failed-rate").textContent = num(t.failed_per_s);
    $("fig-timers").textContent = num(t.scheduled_timers);
    $("fig-awaiting").textContent = num(t.awaiting_receipts);
    $("fig-fragments").textContent = num(t.pending_fragments);
    const ready = $("ready");
    ready.textContent = t.ready ? "ready" : "not ready";
    ready.className = t.ready ? "badge up" : "badge down";
    serverDropped = t.dropped || 0;
    onTickThroughput(t.throughput);
    liveInfo();
    const body = $("routes");
    const rows = [];
    for (const r of t.routes || []) {
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", "route-row");
      cell(tr, r.route, "mono");
      let state = r.ready ? "up" : "down";
      if (r.links > 0) state += " (" + r.links_up + "/" + r.links + " up)";
      cell(tr, state, r.ready ? "up" : "down");
      cell(tr, num(r.depth), "num");
      cell(tr, num(r.accepted_per_s), "num");
      cell(tr, num(r.delivered_per_s), "num");
      cell(tr, num(r.failed_per_s), "num");
      rows.push(tr);
    }
    body.replaceChildren(...rows);
    const links = [];
    for (const l of t.links || []) {
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", "link-row");
      const up = l.state === "bound" || l.state === "up" || l.state === "listening";
      cell(tr, l.route, "mono");
      cell(tr, l.name, "mono");
      cell(tr, l.state, up ? "up" : "down");
      cell(tr, l.since ? new Date(l.since).toLocaleTimeString() : "", "");
      cell(tr, num(l.per_s), "num");
      cell(tr, num(l.errors), "num");
      links.push(tr);
    }
    $("links").replaceChildren(...links);
  }

  // ---- the feed ----------------------------------------------------------

  let backoff = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(scheme + "//" + location.host + "/ws");
    ws.onopen = () => { backoff = 1000; setConnection("live", true); };
    ws.onmessage = (m) => {
      let f;
      try { f = JSON.parse(m.data); } catch (e) { return; }
      if (f.type === "tick") onTick(f); else onEvent(f);
    };
    ws.onclose = () => {
      setConnection("reconnecting…", false);
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
      // Tell a signed-out operator why, rather than retrying silently.
      api("GET", "/api/stats").catch((e) => notice(e.message, true));
    };
  }

  // ---- dead letters ------------------------------------------------------

  let deadTimer = 0;
  function scheduleDeadRefresh() {
    if (deadTimer) return;
    deadTimer = setTimeout(() => { deadTimer = 0; loadDead(); }, 2000);
  }

  async function loadDead() {
    try {
      const list = await api("GET", "/api/dead?limit=200");
      renderDead(list);
    } catch (e) {
      $("dead-info").textContent = e.message;
    }
  }

  function renderDead(list) {
    const rows = list.map((v) => {
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", "dead-row");
      tr.dataset.seq = String(v.seq);
      cell(tr, v.seq, "num");
      cell(tr, dateTime(v.received));
      cell(tr, v.kind);
      cell(tr, v.route);
      cell(tr, v.outcome);
      cell(tr, v.reason);
      cell(tr, v.attempts, "num");
      cell(tr, v.id, "mono");
      cell(tr, v.from, "mono");
      cell(tr, v.to, "mono");
      const td = cell(tr, "");
      td.appendChild(actionButton("Retry", "dead-retry", v.seq, tr, "retry"));
      td.appendChild(actionButton("Discard", "dead-discard", v.seq, tr, "discard"));
      return tr;
    });
    $("dead-rows").replaceChildren(...rows);
    $("dead-info").textContent = list.length === 0 ? "No dead letters." :
      list.length + " dead letter" + (list.length === 1 ? "" : "s") + (list.length >= 200 ? " (first 200)" : "");
  }

  function actionButton(label, testid, seq, tr, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.setAttribute("data-testid", testid);
    b.dataset.seq = String(seq);
    b.addEventListener("click", async () => {
      if (action === "discard" && !confirm("Discard dead letter " + seq + " for good?")) return;
      for (const other of tr.querySelectorAll("button")) other.disabled = true;
      try {
        await api("POST", "/api/dead/" + encodeURIComponent(seq) + "/" + action);
        tr.remove();
        notice("Entry " + seq + (action === "retry" ? " is queued again." : " is discarded."), false);
        const left = $("dead-rows").rows.length;
        $("dead-info").textContent = left === 0 ? "No dead letters." : left + " dead letter" + (left === 1 ? "" : "s");
      } catch (e) {
        notice("Entry " + seq + ": " + e.message, true);
        for (const other of tr.querySelectorAll("button")) other.disabled = false;
      }
    });
    return b;
  }

  $("dead-refresh").addEventListener("click", loadDead);

  // ---- search ------------------------------------------------------------

  $("search-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = $("search-q").value.trim();
    if (q === "") return;
    $("search-info").textContent = "searching…";
    try {
      const list = await api("GET", "/api/search?limit=200&q=" + encodeURIComponent(q));
      renderHistory(list);
      $("search-info").textContent = list.length === 0 ? "Nothing found in the recent journal." :
        list.length + " entr" + (list.length === 1 ? "y" : "ies");
    } catch (err) {
      $("search-info").textContent = err.message;
    }
  });

  function renderHistory(list) {
    const ids = new Set();
    const rows = list.map((v) => {
      if (v.id) ids.add(v.id);
      if (v.replay_of) ids.add(v.replay_of);
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", "search-row");
      tr.dataset.seq = String(v.seq);
      tr.className = "kind-" + v.kind;
      cell(tr, v.seq, "num");
      cell(tr, dateTime(v.received));
      cell(tr, v.state);
      cell(tr, v.kind);
      cell(tr, v.outcome);
      cell(tr, v.route);
      cell(tr, v.id, "mono");
      cell(tr, v.from, "mono");
      cell(tr, v.to, "mono");
      cell(tr, v.parts, "num");
      cell(tr, v.attempts, "num");
      cell(tr, v.reason);
      cell(tr, v.replay_of, "mono");
      return tr;
    });
    $("search-rows").replaceChildren(...rows);
    const seen = [];
    for (const id of ids) for (const ev of steps.get(id) || []) seen.push(ev);
    seen.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    $("search-steps").replaceChildren(...seen.map((ev) => {
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", "search-step");
      cell(tr, clock(ev.time));
      cell(tr, ev.type, "event");
      cell(tr, ev.kind);
      cell(tr, ev.route);
      cell(tr, ev.segments || "", "num");
      cell(tr, ev.latency_ms ? ev.latency_ms.toFixed(1) : "", "num");
      cell(tr, ev.reason);
      return tr;
    }));
  }

  // ---- throughput chart --------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";
  function svg(name, attrs, text) {
    const el = document.createElementNS(SVG, name);
    for (const k in attrs) el.setAttribute(k, attrs[k]);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function drawChart(tp) {
    const chart = $("chart");
    const W = 960, H = 220, left = 50, right = 10, top = 10, bottom = 24;
    const buckets = tp.buckets || [];
    const step = tp.step_seconds || 10;
    const series = [["accepted", "accepted"], ["delivered", "delivered"], ["failed", "failed"]];
    let max = 0;
    for (const b of buckets) max = Math.max(max, b.accepted / step, b.delivered / step, b.failed / step);
    const ymax = niceCeil(max);
    const x = (i) => left + (buckets.length <= 1 ? 0 : (i * (W - left - right)) / (buckets.length - 1));
    const y = (v) => top + (H - top - bottom) * (1 - v / ymax);
    const parts = [];
    for (const f of [0, 0.5, 1]) {
      parts.push(svg("line", { x1: left, x2: W - right, y1: y(ymax * f), y2: y(ymax * f), class: "gridline" }));
      parts.push(svg("text", { x: left - 6, y: y(ymax * f) + 4, class: "axis", "text-anchor": "end" }, fmtRate(ymax * f)));
    }
    const labels = [[0, "−60 min"], [0.5, "−30 min"], [1, "now"]];
    for (const [f, text] of labels) {
      parts.push(svg("text", { x: left + f * (W - left - right), y: H - 6, class: "axis", "text-anchor": f === 0 ? "start" : f === 1 ? "end" : "middle" }, text));
    }
    for (const [key, cls] of series) {
      const pts = buckets.map((b, i) => x(i).toFixed(1) + "," + y(b[key] / step).toFixed(1)).join(" ");
      parts.push(svg("polyline", { points: pts, class: "line " + cls, "data-testid": "chart-" + key }));
    }
    chart.replaceChildren(...parts);
  }

  function niceCeil(v) {
    if (v <= 0) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function fmtRate(v) {
    return v >= 100 ? Math.round(v).toLocaleString() : String(Math.round(v * 10) / 10);
  }

  let chartData = null;

  async function loadThroughput() {
    try {
      chartData = await api("GET", "/api/throughput");
      drawChart(chartData);
    } catch (e) { /* the connection badge and notice say why */ }
  }

  // onTickThroughput puts the tick's current bucket in the chart, so the
  // chart moves every second between full loads.
  function onTickThroughput(b) {
    if (!chartData || !b || !chartData.buckets || chartData.buckets.length === 0) return;
    const list = chartData.buckets;
    const last = list[list.length - 1];
    if (b.time === last.time) {
      list[list.length - 1] = b;
    } else if (b.time > last.time) {
      list.push(b);
      list.shift();
    } else {
      return;
    }
    drawChart(chartData);
  }

  // ---- start -------------------------------------------------------------

  connect();
  loadDead();
  loadThroughput();
  setInterval(loadThroughput, 10000);
  setInterval(loadDead, 30000);
})();
