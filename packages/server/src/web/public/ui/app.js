// The statehouse dashboard. Plain DOM: every value from the store is set with textContent, never as HTML.
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };

  /** JSON from the API; a problem+json answer becomes an Error carrying its detail. */
  async function api(path) {
    const r = await fetch(path, { headers: { accept: "application/json" } });
    const body = await r.json().catch(() => undefined);
    if (!r.ok) throw new Error(body?.detail ? `${body.code}: ${body.detail}` : `HTTP ${r.status}`);
    return body;
  }

  // ---- Overview: KPI tiles and charts (one point every 2 s, 10 minutes kept) ----
  const POLL_MS = 2000;
  const KEEP = 300;
  /** The report's KPI thresholds; amber from 80 % of the threshold. */
  const KPIS = [
    { key: "stateAvg", label: "State query avg (ms)", limit: 100, digits: 2 },
    { key: "sessionAvg", label: "Session ops avg (ms)", limit: 200, digits: 2 },
    { key: "failures", label: "Operation failures (%)", limit: 1, digits: 2 },
    { key: "lockTimeouts", label: "Lock timeouts (%)", limit: 5, digits: 2 },
    { key: "staleAgents", label: "Stale agents", limit: 0, digits: 0 },
    { key: "activeSessions", label: "Active sessions", digits: 0 },
    { key: "activeAgents", label: "Active agents", digits: 0 },
    { key: "streamDrops", label: "Event-stream drops", limit: 0, digits: 0 },
  ];
  const GROUPS = ["state", "session", "agent"];
  const series = { t: [], lat: GROUPS.flatMap(() => [[], [], []]), ops: [], err: [] };
  let lastTotals;
  let latencyChart;
  let throughputChart;
  let capacityChart;

  function colour(value, limit) {
    if (limit === undefined) return "";
    if (value > limit) return "red";
    return limit > 0 && value > 0.8 * limit ? "amber" : "green";
  }

  function avgOf(ops, prefix) {
    let n = 0;
    let sum = 0;
    for (const [kind, s] of Object.entries(ops)) {
      if (!kind.startsWith(prefix)) continue;
      const w = Math.min(s.count, 512);
      n += w;
      sum += s.avgMs * w;
    }
    return n === 0 ? 0 : sum / n;
  }

  function renderTiles(o) {
    const ops = o.operations;
    let count = 0;
    let errors = 0;
    for (const s of Object.values(ops)) {
      count += s.count;
      errors += s.errors;
    }
    const values = {
      stateAvg: avgOf(ops, "state."),
      sessionAvg: avgOf(ops, "session."),
      failures: count === 0 ? 0 : (100 * errors) / count,
      lockTimeouts: count === 0 ? 0 : (100 * (o.errors.E_LOCK_TIMEOUT || 0)) / count,
      staleAgents: o.staleAgents,
      activeSessions: o.sessions.active || 0,
      activeAgents: o.activeAgents,
      streamDrops: o.events.dropped,
    };
    const tiles = $("tiles");
    tiles.replaceChildren(
      ...KPIS.map((k) => {
        const tile = el("div", undefined, `tile ${colour(values[k.key], k.limit)}`);
        tile.dataset.kpi = k.key;
        tile.append(el("div", k.label, "label"), el("div", values[k.key].toFixed(k.digits), "value"));
        if (k.limit !== undefined) tile.title = `threshold ${k.limit}`;
        return tile;
      }),
    );
    return { count, errors };
  }

  function groupPercentiles(ops, prefix) {
    let p50 = 0;
    let p95 = 0;
    let p99 = 0;
    for (const [kind, s] of Object.entries(ops)) {
      if (!kind.startsWith(prefix)) continue;
      p50 = Math.max(p50, s.p50);
      p95 = Math.max(p95, s.p95);
      p99 = Math.max(p99, s.p99);
    }
    return [p50, p95, p99];
  }

  function makeCharts() {
    if (typeof uPlot !== "function") return;
    const width = Math.min(560, Math.max(320, document.body.clientWidth / 2 - 60));
    const colours = ["#0969da", "#1f883d", "#8250df"];
    const latSeries = [{}];
    GROUPS.forEach((g, i) => {
      for (const [j, p] of ["p50", "p95", "p99"].entries()) {
        latSeries.push({ label: `${g} ${p}`, stroke: colours[i], width: 1 + j * 0.5, dash: j === 0 ? [4, 4] : undefined });
      }
    });
    latencyChart = new uPlot({ width, height: 220, series: latSeries }, [series.t, ...series.lat], $("latency"));
    throughputChart = new uPlot(
      {
        width,
        height: 220,
        series: [{}, { label: "ops/s", stroke: "#0969da", scale: "ops" }, { label: "errors %", stroke: "#cf222e", scale: "pct" }],
        axes: [{}, { scale: "ops" }, { scale: "pct", side: 1, grid: { show: false } }],
      },
      [series.t, series.ops, series.err],
      $("throughput"),
    );
    capacityChart = new uPlot(
      {
        width,
        height: 220,
        series: [{}, { label: "sessions", stroke: "#0969da", scale: "n" }, { label: "disk MB", stroke: "#9a6700", scale: "mb" }],
        axes: [{}, { scale: "n" }, { scale: "mb", side: 1, grid: { show: false } }],
      },
      [[], [], []],
      $("capacity"),
    );
  }

  /** Sessions and disk over time (kept by the daemon) and their least-squares growth per hour. */
  function renderCapacity(c) {
    if (!c) return;
    const pts = c.points;
    capacityChart?.setData([pts.map((p) => p[0]), pts.map((p) => p[1]), pts.map((p) => (p[2] === null ? null : p[2] / 1e6))]);
    const sign = (v) => (v >= 0 ? "+" : "−");
    const parts = [];
    if (c.sessionsPerHour !== null) parts.push(`${sign(c.sessionsPerHour)}${Math.abs(c.sessionsPerHour).toFixed(0)} sessions/h`);
    if (c.diskBytesPerHour !== null) parts.push(`${sign(c.diskBytesPerHour)}${(Math.abs(c.diskBytesPerHour) / 1e6).toFixed(2)} MB/h`);
    $("trend").textContent = parts.length === 0 ? "trend after two points" : `trend ${parts.join(", ")}`;
  }

  async function refreshOverview() {
    const o = await api("/ui/overview.json");
    const totals = renderTiles(o);
    renderCapacity(o.capacity);
    const t = Date.parse(o.at) / 1000;
    const dt = lastTotals ? t - lastTotals.t : 0;
    const dOps = lastTotals ? totals.count - lastTotals.count : 0;
    const dErr = lastTotals ? totals.errors - lastTotals.errors : 0;
    lastTotals = { t, ...totals };
    series.t.push(t);
    GROUPS.forEach((g, i) => {
      const p = groupPercentiles(o.operations, `${g}.`);
      for (let j = 0; j < 3; j++) series.lat[i * 3 + j].push(p[j]);
    });
    series.ops.push(dt > 0 ? dOps / dt : 0);
    series.err.push(dOps > 0 ? (100 * dErr) / dOps : 0);
    if (series.t.length > KEEP) {
      for (const a of [series.t, series.ops, series.err, ...series.lat]) a.shift();
    }
    latencyChart?.setData([series.t, ...series.lat]);
    throughputChart?.setData([series.t, series.ops, series.err]);
  }

  // ---- Sessions: filters and paging with the API's cursor ----
  const page = { cursors: [undefined], index: 0, next: undefined };

  function filterQuery() {
    const q = new URLSearchParams();
    if ($("f-status").value) q.set("status", $("f-status").value);
    if ($("f-project").value.trim()) q.set("project", $("f-project").value.trim());
    q.set("orderBy", "createdAt");
    q.set("direction", "desc");
    q.set("limit", $("f-limit").value);
    const cursor = page.cursors[page.index];
    if (cursor) q.set("cursor", cursor);
    return q;
  }

  async function loadSessions() {
    const r = await api(`/v1/sessions?${filterQuery()}`);
    page.next = r.cursor;
    const rows = r.items.map((s) => {
      const tr = el("tr", undefined, "link");
      tr.dataset.id = s.id;
      for (const v of [s.name ?? "", s.status, s.project ?? "", s.agentCount ?? 0, s.updatedAt, s.id]) tr.append(el("td", v));
      tr.addEventListener("click", () => {
        location.hash = `session=${encodeURIComponent(s.id)}`;
      });
      return tr;
    });
    $("session-table").tBodies[0].replaceChildren(...rows);
    $("page").textContent = `page ${page.index + 1}`;
    $("prev").disabled = page.index === 0;
    $("next").disabled = page.next === undefined;
  }

  // ---- One session: agents, state document, JSONPath ----
  let selected;

  function jsonNode(key, value, depth) {
    if (value !== null && typeof value === "object") {
      const d = el("details");
      d.open = depth < 2;
      const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
      const summary = el("summary");
      if (key !== undefined) summary.append(el("span", `${key}: `, "key"));
      summary.append(el("span", Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`));
      d.append(summary, ...entries.map(([k, v]) => jsonNode(k, v, depth + 1)));
      return d;
    }
    const leaf = el("div", undefined, "leaf");
    if (key !== undefined) leaf.append(el("span", `${key}: `, "key"));
    leaf.append(el("span", JSON.stringify(value)));
    return leaf;
  }

  async function loadSession(id) {
    const [s, agents, state] = await Promise.all([
      api(`/v1/sessions/${encodeURIComponent(id)}`),
      api(`/v1/agents?sessionId=${encodeURIComponent(id)}&limit=100`),
      api(`/v1/sessions/${encodeURIComponent(id)}/state`),
    ]);
    if (selected !== id) return;
    $("session").hidden = false;
    $("s-name").textContent = s.name ?? s.id;
    $("s-meta").textContent = `${s.id} · ${s.status} · project ${s.project ?? "—"} · created ${s.createdAt}`;
    const now = Date.now();
    $("agent-table").tBodies[0].replaceChildren(
      ...agents.items.map((a) => {
        const age = a.heartbeatAt ? now - Date.parse(a.heartbeatAt) : undefined;
        // The API marks an agent stale by its project's heartbeatTimeoutSeconds (the project config).
        const tr = el("tr", undefined, a.stale === true ? "stale" : "");
        for (const v of [a.role, a.status, age === undefined ? "never" : `${Math.round(age / 1000)} s`, a.id]) tr.append(el("td", v));
        return tr;
      }),
    );
    $("s-revision").textContent = `revision ${state.revision}`;
    $("s-state").replaceChildren(state.value === undefined ? el("div", "(empty)") : jsonNode(undefined, state.value, 0));
  }

  async function runQuery(event) {
    event.preventDefault();
    const out = $("q-result");
    if (!selected) return;
    try {
      const r = await api(`/v1/sessions/${encodeURIComponent(selected)}/state?query=${encodeURIComponent($("q").value)}`);
      out.className = "json";
      out.replaceChildren(
        el("div", `${r.nodes.length} result(s) at revision ${r.revision}`),
        ...r.nodes.map((n) => el("div", `${n.path} = ${JSON.stringify(n.value)}`, "leaf")),
      );
    } catch (err) {
      out.className = "error";
      out.replaceChildren(el("div", err.message));
    }
  }

  function route() {
    const m = /^#session=(.+)$/.exec(location.hash);
    selected = m ? decodeURIComponent(m[1]) : undefined;
    $("session").hidden = selected === undefined;
    $("q-result").replaceChildren();
    if (selected) loadSession(selected).catch(showError);
  }

  // ---- Live: the change feed over /v1/events, reconnecting after a daemon restart ----
  let lastSeq;
  let source;
  let refreshTimer;

  // ---- Alerts: kept in the store by the daemon; reloaded on each `alerts` event of the stream ----
  const fmtNum = (v) => (Number.isInteger(v) ? String(v) : String(Number(Number(v).toPrecision(3))));
  const when = (iso) =>
    iso
      ? String(iso)
          .replace("T", " ")
          .replace(/\.\d+Z$/, "Z")
      : "";

  function fillRows(tbody, rows) {
    tbody.replaceChildren();
    if (rows.length === 0) {
      const tr = el("tr", undefined, "none");
      const td = el("td", "none");
      td.colSpan = 6;
      tr.append(td);
      tbody.append(tr);
    }
    for (const { cells, cls } of rows) {
      const tr = el("tr", undefined, cls);
      for (const c of cells) tr.append(el("td", c));
      tbody.append(tr);
    }
  }

  async function loadAlerts() {
    const { items } = await api("/v1/alerts?all=true&limit=100");
    const active = items.filter((a) => a.state !== "resolved");
    const history = items.filter((a) => a.state === "resolved").slice(0, 20);
    $("alert-count").textContent = active.length === 0 ? "(none active)" : `(${active.length} active)`;
    fillRows(
      $("alert-active").tBodies[0],
      active.map((a) => ({
        cls: `alert ${a.state === "firing" ? "firing" : "pending"}`,
        cells: [
          a.state,
          a.kpi,
          `${fmtNum(a.value)} ${a.unit}`,
          `${a.comparison} ${fmtNum(a.threshold)} ${a.unit}`,
          when(a.firedAt ?? a.startedAt),
          a.message,
        ],
      })),
    );
    fillRows(
      $("alert-history").tBodies[0],
      history.map((a) => ({
        cls: "alert resolved",
        cells: [a.kpi, `${fmtNum(a.value)} ${a.unit}`, when(a.startedAt), when(a.firedAt), when(a.resolvedAt)],
      })),
    );
  }

  function scheduleRefresh() {
    if (refreshTimer !== undefined) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      loadSessions().catch(showError);
      if (selected) loadSession(selected).catch(showError);
    }, 50);
  }

  function onChange(cs) {
    lastSeq = cs.sequence;
    $("seq").textContent = `sequence ${cs.sequence}`;
    const feed = $("feed");
    for (const c of cs.changes) {
      const li = el("li", `#${cs.sequence} ${cs.at} ${c.type} ${c.collection} ${c.id} rev ${c.revision ?? ""}`);
      li.dataset.sequence = String(cs.sequence);
      feed.prepend(li);
    }
    while (feed.children.length > 100) feed.lastElementChild.remove();
    scheduleRefresh();
  }

  function setConn(up) {
    $("conn").textContent = up ? "live" : "reconnecting…";
    $("conn").className = `conn ${up ? "up" : "down"}`;
    document.body.dataset.live = up ? "1" : "0";
  }

  function connect() {
    source = new EventSource(lastSeq === undefined ? "/v1/events" : `/v1/events?since=${lastSeq}`);
    source.onopen = () => {
      setConn(true);
      scheduleRefresh();
      loadAlerts().catch(showError);
    };
    source.addEventListener("change", (e) => onChange(JSON.parse(e.data)));
    source.addEventListener("alerts", () => loadAlerts().catch(showError));
    source.addEventListener("reset", (e) => {
      lastSeq = JSON.parse(e.data).sequence;
      scheduleRefresh();
    });
    source.onerror = () => {
      setConn(false);
      // The browser retries by itself after a dropped connection, but gives up on an error status
      // (a 503 from a stopping daemon): then start a new stream.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, 1000);
      }
    };
  }

  function showError(err) {
    $("conn").title = String(err?.message);
  }

  function start() {
    $("filters").addEventListener("submit", (e) => {
      e.preventDefault();
      page.cursors = [undefined];
      page.index = 0;
      loadSessions().catch(showError);
    });
    $("next").addEventListener("click", () => {
      if (page.next === undefined) return;
      page.cursors[page.index + 1] = page.next;
      page.index++;
      loadSessions().catch(showError);
    });
    $("prev").addEventListener("click", () => {
      if (page.index === 0) return;
      page.index--;
      loadSessions().catch(showError);
    });
    $("jsonpath").addEventListener("submit", runQuery);
    window.addEventListener("hashchange", route);
    makeCharts();
    connect();
    loadSessions().catch(showError);
    route();
    const tick = () =>
      refreshOverview()
        .catch(showError)
        .finally(() => setTimeout(tick, POLL_MS));
    tick();
  }

  start();
})();
