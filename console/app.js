// ledgerd web console: draws the telemetry snapshot (console/TELEMETRY.md)
// from GET /v1/telemetry, then follows GET /v1/telemetry/stream. Both need a
// bearer token, so the stream is read with fetch() (EventSource cannot send
// headers). Every piece of data reaches the page through textContent or
// attributes, never as HTML.
'use strict';

(() => {
  const TOKEN_KEY = 'ledgerd.token';
  /// Longest chart span: the snapshot's history covers 10 minutes.
  const CHART_SECONDS = 600;
  /// Shortest chart span: a young node's few points are not squeezed into
  /// a corner.
  const CHART_MIN_SECONDS = 120;
  /// A stream that sends nothing for this long is considered broken.
  const STALL_MS = 5000;
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;

  const state = {
    token: null,
    /// Points appended from stream snapshots after the last history point.
    live: [],
    /// Last rendered JSON per section: unchanged sections keep their DOM.
    rendered: new Map(),
    backoff: BACKOFF_MIN_MS,
    abort: null,
    /// Bumped by every connect(): a stale attempt's failure is ignored.
    attempt: 0,
    retryTimer: null,
    stallTimer: null,
  };

  // -- DOM helpers -----------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  /// Creates an element; `attrs` become attributes (`class`, `data-*`, ...),
  /// children are nodes or strings (added as text).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined && v !== false) node.setAttribute(k, String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  /// Replaces the children of `parent` when `data` differs from last time.
  function renderSection(key, parent, data, build) {
    const json = JSON.stringify(data === undefined ? null : data);
    if (state.rendered.get(key) === json) return;
    state.rendered.set(key, json);
    parent.replaceChildren(...build(data));
  }

  // -- formatting ------------------------------------------------------------

  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return '–';
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
    return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  }

  function fmtNumber(x, digits = 0) {
    if (x === null || x === undefined || !isFinite(x)) return '–';
    return Number(x).toLocaleString('en-US', {
      maximumFractionDigits: digits, minimumFractionDigits: 0,
    });
  }

  /// An ISO time as local HH:MM:SS (with the date when not today).
  function fmtTime(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    if (isNaN(d)) return String(iso);
    const time = d.toLocaleTimeString('en-GB', { hour12: false });
    const today = new Date();
    if (d.toDateString() === today.toDateString()) return time;
    return `${d.toISOString().slice(0, 10)} ${time}`;
  }

  function timeCell(iso) {
    return el('td', {}, iso ? el('time', { datetime: iso, title: iso }, fmtTime(iso)) : '–');
  }

  function emptyRow(columns, text) {
    return el('tr', { class: 'empty' }, el('td', { colspan: columns }, text));
  }

  // -- token -----------------------------------------------------------------

  function initToken() {
    const url = new URL(window.location.href);
    const fromUrl = url.searchParams.get('token');
    if (fromUrl) {
      localStorage.setItem(TOKEN_KEY, fromUrl);
      // Keep the token out of the address bar, history and screenshots.
      url.searchParams.delete('token');
      history.replaceState(null, '', url.pathname + url.search + url.hash);
    }
    state.token = localStorage.getItem(TOKEN_KEY);
  }

  function askForToken(message) {
    stopStream();
    setStatus('error', 'needs a token');
    if (message) showBanner(message);
    $('token-form').hidden = false;
    $('token-input').focus();
  }

  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = $('token-input').value.trim();
    if (!value) return;
    localStorage.setItem(TOKEN_KEY, value);
    state.token = value;
    $('token-input').value = '';
    $('token-form').hidden = true;
    hideBanner();
    connect();
  });

  class AuthError extends Error {}

  async function api(path, options = {}) {
    const res = await fetch(path, {
      ...options,
      headers: { Authorization: `Bearer ${state.token}`, ...(options.headers || {}) },
      cache: 'no-store',
    });
    if (res.status === 401) throw new AuthError('the API refused the token (401)');
    return res;
  }

  async function errorText(res) {
    try {
      const body = await res.json();
      if (body && body.error) return `${res.status}: ${body.error}`;
    } catch (_) { /* not JSON */ }
    return `HTTP ${res.status}`;
  }

  // -- status line and banner --------------------------------------------------

  function setStatus(kind, text) {
    const status = $('status');
    status.className = `status status-${kind}`;
    $('status-text').textContent = text;
  }

  function showBanner(text) {
    const banner = $('error-banner');
    banner.textContent = text;
    banner.hidden = false;
  }

  function hideBanner() {
    $('error-banner').hidden = true;
    $('error-banner').textContent = '';
  }

  // -- sections --------------------------------------------------------------

  function renderNode(s) {
    const node = s.node || {};
    $('node-id').textContent = node.id || '–';
    $('node-version').textContent = node.version || '–';
    $('node-uptime').textContent = fmtDuration(node.uptime_seconds);
    $('node-uptime').dataset.seconds = String(node.uptime_seconds ?? '');
    const last = $('last-update');
    last.textContent = fmtTime(s.time);
    last.setAttribute('datetime', s.time || '');
  }

  function renderTenants(tenants) {
    renderSection('tenants', $('tenants').tBodies[0], tenants || [], (rows) => {
      if (rows.length === 0) return [emptyRow(7, 'No tenants configured.')];
      return rows.map((t) => {
        const reauth = Boolean(t.needs_reauth);
        const badge = reauth
          ? el('span', { class: 'badge badge-alert', 'data-testid': 'needs-reauth' }, 'needs re-authorization')
          : el('span', { class: `badge state-${String(t.state || 'unknown')}` }, t.state || 'unknown');
        const conn = el('td', { 'data-testid': 'tenant-state', 'data-state': t.state }, badge);
        if (t.reason) conn.append(el('div', { class: 'muted small' }, t.reason));
        return el('tr', {
          'data-testid': 'tenant-row', 'data-tenant': t.tenant, 'data-provider': t.provider,
          class: reauth ? 'needs-reauth' : null,
        },
        el('td', { class: 'strong' }, t.tenant),
        el('td', {}, t.provider),
        conn,
        timeCell(t.last_sync),
        el('td', { class: 'num' }, fmtDuration(t.cursor_lag_seconds)),
        el('td', { class: t.open_conflicts > 0 ? 'num warn' : 'num' }, fmtNumber(t.open_conflicts)),
        el('td', { class: t.remote_read_only > 0 ? 'num warn' : 'num', title: 'records the provider no longer accepts changes to' },
          fmtNumber(t.remote_read_only || 0)));
      });
    });
  }

  function renderRateLimits(buckets) {
    renderSection('rate_limits', $('rate-limits'), buckets || [], (rows) => {
      if (rows.length === 0) return [el('p', { class: 'muted' }, 'No requests yet.')];
      return rows.map((b) => {
        const limit = Number(b.limit_per_minute) || 0;
        const used = Number(b.used_per_minute) || 0;
        const ratio = limit > 0 ? Math.min(1, used / limit) : 0;
        const level = ratio >= 0.9 ? 'high' : ratio >= 0.7 ? 'mid' : 'low';
        const fill = el('div', { class: `fill ${level}` });
        fill.style.width = `${(ratio * 100).toFixed(1)}%`;
        const extra = [];
        if (b.in_flight) extra.push(`${b.in_flight} in flight`);
        if (b.waiting) extra.push(`${b.waiting} waiting`);
        if (b.throttled_total) extra.push(`${b.throttled_total} throttled`);
        return el('div', { class: 'gauge', 'data-testid': 'rate-limit', 'data-bucket': b.bucket },
          el('div', { class: 'gauge-label' },
            el('span', { class: 'strong' }, b.bucket),
            el('span', { class: 'muted' }, `${fmtNumber(used)} / ${fmtNumber(limit)} per min`)),
          el('div', {
            class: 'bar', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': limit,
            'aria-valuenow': used, 'aria-label': `${b.bucket} requests in the last minute`,
          }, fill),
          extra.length ? el('div', { class: 'muted small' }, extra.join(' · ')) : null);
      });
    });
  }

  function stat(label, value, attrs = {}) {
    return el('div', { class: 'stat' }, el('dt', {}, label), el('dd', attrs, value));
  }

  function renderQueue(q) {
    q = q || {};
    renderSection('queue', $('queue'), q, () => [
      stat('pending', fmtNumber(q.pending), { 'data-testid': 'queue-pending' }),
      stat('processing', fmtNumber(q.processing), { 'data-testid': 'queue-processing' }),
      stat('completed', fmtNumber(q.completed), { 'data-testid': 'queue-completed' }),
      stat('failed', fmtNumber(q.failed), { 'data-testid': 'queue-failed', class: q.failed > 0 ? 'warn' : null }),
      stat('oldest pending', fmtDuration(q.oldest_pending_seconds)),
    ]);
  }

  function renderThroughput(t, totals) {
    t = t || {};
    totals = totals || {};
    renderSection('throughput', $('throughput'), [t, totals], () => [
      stat('jobs/s', fmtNumber(t.jobs_completed_per_second, 1)),
      stat('API calls/s', fmtNumber(t.api_calls_per_second, 1)),
      stat('API calls', fmtNumber(totals.api_calls), { id: 'total-api-calls', 'data-testid': 'total-api-calls', 'data-value': totals.api_calls ?? '' }),
      stat('429s', fmtNumber(totals.api_429), { class: totals.api_429 > 0 ? 'warn' : null }),
      stat('records (1 h)', fmtNumber(t.records_synced_last_hour)),
      stat('sync p95', t.sync_p95_seconds == null ? '–' : `${fmtNumber(t.sync_p95_seconds, 2)}s`),
    ]);
  }

  function renderActors(actors) {
    renderSection('actors', $('actors').tBodies[0], actors || [], (rows) => {
      // The total column only when the node reports it.
      const withTotal = rows.some((a) => a.mailbox_total !== undefined && a.mailbox_total !== null);
      $('actors-mailbox-total').hidden = !withTotal;
      if (rows.length === 0) return [emptyRow(withTotal ? 4 : 3, 'No actors reported.')];
      return rows.map((a) => el('tr', { 'data-testid': 'actor-row', 'data-type': a.type },
        el('td', {}, a.type),
        el('td', { class: 'num' }, fmtNumber(a.count)),
        el('td', { class: a.mailbox_max > 100 ? 'num warn' : 'num' }, fmtNumber(a.mailbox_max)),
        withTotal ? el('td', { class: 'num' }, fmtNumber(a.mailbox_total)) : null));
    });
  }

  function renderSupervisor(sup) {
    sup = sup || {};
    $('supervisor-restarts').textContent = fmtNumber(sup.restarts);
    renderSection('supervisor', $('supervisor'), sup.children || [], (children) => {
      if (children.length === 0) return [el('li', { class: 'muted' }, 'No children reported.')];
      return children.map((c) => el('li', {
        'data-testid': 'supervisor-child', 'data-name': c.name,
        class: c.running ? 'running' : 'stopped',
      },
      el('span', { class: 'dot' }),
      el('span', {}, c.name),
      el('span', { class: 'muted' }, c.running ? 'running' : 'stopped'),
      c.restarts > 0 ? el('span', { class: 'badge badge-warn' }, `${c.restarts} restarts`) : null));
    });
  }

  function renderFailures(failures) {
    renderSection('failures', $('failures').tBodies[0], failures || [], (rows) => {
      if (rows.length === 0) return [emptyRow(5, 'No failed jobs.')];
      return rows.map((f) => el('tr', { 'data-testid': 'failure-row', 'data-job-id': f.job_id },
        el('td', {}, `#${f.job_id}`),
        el('td', {}, `${f.tenant} · ${f.provider}`),
        el('td', {}, f.kind),
        timeCell(f.finished_at),
        el('td', { class: 'error-text' }, f.error || '')));
    });
  }

  function renderConflicts(conflicts) {
    renderSection('conflicts', $('conflicts').tBodies[0], conflicts || [], (rows) => {
      if (rows.length === 0) return [emptyRow(8, 'No open conflicts.')];
      return rows.map((c) => {
        const button = (side, label) => el('button', {
          type: 'button', class: `resolve resolve-${side}`,
          'data-testid': `take-${side}`, 'data-conflict-id': c.id, 'data-resolution': side,
        }, label);
        return el('tr', { 'data-testid': 'conflict-row', 'data-conflict-id': c.id },
          el('td', {}, String(c.id)),
          el('td', {}, `${c.tenant} · ${c.provider}`),
          el('td', {}, `${c.entity} ${c.local_id}`),
          el('td', { class: 'mono' }, c.field),
          el('td', { class: 'mono' }, valueText(c.local_value)),
          el('td', { class: 'mono' }, valueText(c.remote_value)),
          timeCell(c.created_at),
          el('td', { class: 'actions' }, button('local', 'take local'), button('remote', 'take remote')));
      });
    });
  }

  function renderPaused(paused) {
    renderSection('paused', $('paused').tBodies[0], paused || [], (rows) => {
      if (rows.length === 0) return [emptyRow(4, 'No paused pulls.')];
      return rows.map((p) => el('tr', {
        'data-testid': 'paused-row', 'data-tenant': p.tenant, 'data-entity': p.entity,
      },
      el('td', {}, `${p.tenant} · ${p.provider}`),
      el('td', {}, p.entity),
      el('td', { class: 'error-text' }, p.reason || ''),
      timeCell(p.since)));
    });
  }

  function renderReadOnly(records) {
    renderSection('read_only', $('read-only').tBodies[0], records || [], (rows) => {
      if (rows.length === 0) return [emptyRow(5, 'No read-only records.')];
      return rows.map((r) => el('tr', { 'data-testid': 'read-only-row', 'data-local-id': r.local_id },
        el('td', {}, `${r.tenant} · ${r.provider}`),
        el('td', {}, `${r.entity} ${r.local_id}`),
        el('td', { class: 'mono' }, r.remote_id),
        el('td', { class: 'error-text' }, r.reason || ''),
        timeCell(r.since)));
    });
  }

  function valueText(v) {
    if (v === null || v === undefined) return '∅';
    return typeof v === 'string' ? v : JSON.stringify(v);
  }

  function renderAlerts(alerts) {
    renderSection('alerts', $('alerts'), alerts || [], (rows) => {
      if (rows.length === 0) return [el('li', { class: 'muted', 'data-testid': 'no-alerts' }, 'No alerts firing.')];
      return rows.map((a) => el('li', {
        class: `alert severity-${a.severity || 'warning'}`, 'data-testid': 'alert', 'data-rule': a.rule,
      },
      el('span', { class: `badge severity-${a.severity || 'warning'}` }, a.severity || 'warning'),
      el('span', { class: 'strong' }, a.rule),
      el('span', {}, a.summary || `${a.metric} = ${a.value} (threshold ${a.threshold})`),
      el('span', { class: 'muted small' }, `since ${fmtTime(a.since)}`)));
    });
  }

  // -- charts ----------------------------------------------------------------

  /// One chart point from a snapshot (the same fields as a history point).
  function pointOf(s) {
    const t = Date.parse(s.time) / 1000;
    const q = s.queue || {};
    const th = s.throughput || {};
    return {
      t: isFinite(t) ? t : Date.now() / 1000,
      pending: q.pending ?? 0,
      processing: q.processing ?? 0,
      completed_per_second: th.jobs_completed_per_second ?? 0,
      failed_per_second: th.jobs_failed_per_second ?? 0,
      api_calls_per_second: th.api_calls_per_second ?? 0,
    };
  }

  /// The history of the latest snapshot followed by the stream points that
  /// came after its last point, over the last CHART_SECONDS.
  function chartPoints(s) {
    const history = Array.isArray(s.history) ? s.history : [];
    const lastT = history.length ? history[history.length - 1].t : -Infinity;
    state.live.push(pointOf(s));
    const now = state.live[state.live.length - 1].t;
    state.live = state.live.filter((p) => p.t > lastT && p.t > now - CHART_SECONDS);
    return history.filter((p) => p.t > now - CHART_SECONDS).concat(state.live);
  }

  /// Draws an SVG line chart of `series` ({label, key, color}) over `points`.
  function lineChart(container, points, series, unit) {
    const W = 560, H = 170, L = 44, R = 10, T = 10, B = 22;
    const now = points.length ? points[points.length - 1].t : Date.now() / 1000;
    const first = points.length ? points[0].t : now;
    const span = Math.min(CHART_SECONDS, Math.max(CHART_MIN_SECONDS, now - first));
    const t0 = now - span;
    let max = 0;
    for (const p of points) for (const s of series) max = Math.max(max, Number(p[s.key]) || 0);
    max = niceCeil(max);
    const x = (t) => L + ((t - t0) / span) * (W - L - R);
    const y = (v) => T + (1 - v / max) * (H - T - B);

    const root = svg('svg', {
      viewBox: `0 0 ${W} ${H}`, class: 'line-chart', role: 'img',
      'aria-label': series.map((s) => s.label).join(', '),
    });
    for (const v of [0, max / 2, max]) {
      root.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid-line' }));
      root.append(svg('text', { x: L - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' },
        fmtNumber(v, v < 10 ? 1 : 0)));
    }
    const ago = (seconds) => (seconds >= 60 ? `-${fmtNumber(seconds / 60, 1)} min` : `-${Math.round(seconds)} s`);
    for (const [t, label, anchor] of [[t0, ago(span), 'start'], [t0 + span / 2, ago(span / 2), 'middle'],
      [now, 'now', 'end']]) {
      root.append(svg('text', { x: x(t), y: H - 6, class: 'axis', 'text-anchor': anchor }, label));
    }
    for (const s of series) {
      const d = points
        .filter((p) => p.t >= t0)
        .map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(Number(p[s.key]) || 0).toFixed(1)}`)
        .join(' ');
      if (d) root.append(svg('path', { d, class: 'series', stroke: s.color, 'data-series': s.key }));
    }
    const legend = el('div', { class: 'legend' }, ...series.map((s) => {
      const swatch = el('span', { class: 'swatch' });
      swatch.style.background = s.color;
      const last = points.length ? points[points.length - 1][s.key] : null;
      return el('span', {}, swatch, `${s.label} `, el('span', { class: 'muted' },
        `${fmtNumber(last, 1)}${unit}`));
    }));
    container.replaceChildren(root, legend);
  }

  function niceCeil(v) {
    if (!(v > 0)) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function renderCharts(s) {
    const points = chartPoints(s);
    lineChart($('queue-chart'), points, [
      { label: 'pending', key: 'pending', color: '#d97706' },
      { label: 'processing', key: 'processing', color: '#2563eb' },
    ], '');
    lineChart($('throughput-chart'), points, [
      { label: 'completed/s', key: 'completed_per_second', color: '#16a34a' },
      { label: 'failed/s', key: 'failed_per_second', color: '#dc2626' },
      { label: 'API calls/s', key: 'api_calls_per_second', color: '#7c3aed' },
    ], '/s');
  }

  // -- snapshot --------------------------------------------------------------

  function render(s) {
    renderNode(s);
    renderTenants(s.tenants);
    renderRateLimits(s.rate_limits);
    renderQueue(s.queue);
    renderThroughput(s.throughput, s.totals);
    renderCharts(s);
    renderActors(s.actors);
    renderSupervisor(s.supervisor);
    renderFailures(s.failures);
    renderConflicts(s.conflicts);
    renderReadOnly(s.read_only);
    renderPaused(s.paused);
    renderAlerts(s.alerts);
    document.body.dataset.snapshotTime = s.time || '';
  }

  async function refresh() {
    // A frozen node must not hold the reconnect loop forever.
    const res = await api('/v1/telemetry', { signal: AbortSignal.timeout(10000) });
    if (!res.ok) throw new Error(`GET /v1/telemetry: ${await errorText(res)}`);
    render(await res.json());
  }

  // -- stream ----------------------------------------------------------------

  /// Parses server-sent events from `reader` and calls `onEvent(type, data)`
  /// per event (spec: lines end in \n, \r\n or \r; a blank line ends an event;
  /// lines starting with ':' are comments).
  async function readEvents(reader, onEvent) {
    const decoder = new TextDecoder();
    let buffer = '';
    let type = '';
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        if (buffer[nl] === '\r' && nl === buffer.length - 1) break; // maybe \r\n split
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length) onEvent(type || 'message', data.join('\n'));
          type = '';
          data = [];
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let val = colon < 0 ? '' : line.slice(colon + 1);
          if (val.startsWith(' ')) val = val.slice(1);
          if (field === 'event') type = val;
          else if (field === 'data') data.push(val);
        }
      }
    }
  }

  function armStallTimer() {
    clearTimeout(state.stallTimer);
    state.stallTimer = setTimeout(() => {
      if (state.abort) state.abort.abort(new Error(`no update for ${STALL_MS / 1000} s`));
    }, STALL_MS);
  }

  function stopStream() {
    state.attempt++;
    clearTimeout(state.retryTimer);
    clearTimeout(state.stallTimer);
    if (state.abort) state.abort.abort(new Error('stopped'));
    state.abort = null;
  }

  async function openStream() {
    const abort = new AbortController();
    state.abort = abort;
    armStallTimer();
    const res = await api('/v1/telemetry/stream', {
      signal: abort.signal, headers: { Accept: 'text/event-stream' },
    });
    if (!res.ok) throw new Error(`GET /v1/telemetry/stream: ${await errorText(res)}`);
    if (!res.body) throw new Error('this browser cannot read a streamed response');
    await readEvents(res.body.getReader(), (type, data) => {
      armStallTimer();
      if (type === 'error') {
        // The node is up but could not build a snapshot this time.
        let why = data;
        try {
          why = JSON.parse(data).error || data;
        } catch (_) { /* plain text */ }
        setStatus('error', 'degraded');
        showBanner(`Telemetry unavailable: ${why}`);
        return;
      }
      if (type !== 'telemetry') return;
      let snapshot;
      try {
        snapshot = JSON.parse(data);
      } catch (e) {
        throw new Error(`bad telemetry event: ${e.message}`);
      }
      state.backoff = BACKOFF_MIN_MS;
      hideBanner();
      setStatus('live', 'live');
      render(snapshot);
    });
    throw new Error('the server closed the stream');
  }

  async function connect() {
    stopStream();
    const attempt = ++state.attempt;
    if (!state.token) {
      askForToken();
      return;
    }
    setStatus('connecting', 'connecting');
    try {
      await refresh();
      await openStream();
    } catch (err) {
      if (err instanceof AuthError) {
        askForToken(`${err.message}: enter a valid token.`);
        return;
      }
      if (attempt !== state.attempt) return; // stopped or superseded on purpose
      const signal = state.abort && state.abort.signal;
      const reason = signal && signal.aborted && signal.reason instanceof Error
        ? signal.reason.message : (err && err.message) || String(err);
      clearTimeout(state.stallTimer);
      const wait = state.backoff;
      state.backoff = Math.min(BACKOFF_MAX_MS, state.backoff * 2);
      setStatus('error', 'disconnected');
      showBanner(`Live updates interrupted (${reason}); reconnecting in ${Math.round(wait / 1000)} s.`);
      state.retryTimer = setTimeout(connect, wait);
    }
  }

  // -- conflicts -------------------------------------------------------------

  $('conflicts').addEventListener('click', async (ev) => {
    const button = ev.target.closest('button[data-resolution]');
    if (!button) return;
    const id = button.dataset.conflictId;
    const resolution = button.dataset.resolution;
    const row = button.closest('tr');
    const errorBox = $('conflict-error');
    for (const b of row.querySelectorAll('button')) b.disabled = true;
    row.classList.add('resolving');
    errorBox.hidden = true;
    try {
      const res = await api(`/v1/conflicts/${encodeURIComponent(id)}/resolve`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ resolution, by: 'console' }),
      });
      if (!res.ok) throw new Error(await errorText(res));
      state.rendered.delete('conflicts');
      await refresh();
    } catch (err) {
      if (err instanceof AuthError) {
        askForToken(`${err.message}: enter a valid token.`);
        return;
      }
      errorBox.textContent = `Could not resolve conflict ${id}: ${err.message}`;
      errorBox.hidden = false;
      for (const b of row.querySelectorAll('button')) b.disabled = false;
      row.classList.remove('resolving');
    }
  });

  initToken();
  connect();
})();
