// svc-mesh trace viewer: plain JS, no dependencies. Reads the JSON API of the trace service
// (/api/traces, /api/traces/:id, /api/services, /api/graph) and follows /api/stream for
// live updates. Every piece of span data is inserted as text (never as HTML).

const PALETTE = [
  '#4f8cff',
  '#2fbf71',
  '#f5a524',
  '#b07cff',
  '#22c3d6',
  '#ff7ab8',
  '#9ccc3c',
  '#ff8a4c',
  '#3fd0b0',
  '#e6c229',
  '#7b83ff',
  '#c08457',
];
const LIST_PAGE = 100;
let listLimit = LIST_PAGE;

const state = {
  services: [],
  list: null,
  trace: null,
  traceId: null,
  spanId: null,
  notFound: null,
  route: 'traces',
  filters: { q: '', service: '', error: false, minDurationMs: '' },
  collapsed: new Set(),
  zoom: null,
};

// ---------------------------------------------------------------------------------------------
// small helpers

function h(tag, attrs, ...children) {
  const el = document.createElementNS(
    tag === 'svg' || attrs?.svg ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml',
    tag,
  );
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false || k === 'svg') continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat(Number.POSITIVE_INFINITY)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const s = (tag, attrs, ...children) => h(tag, { ...attrs, svg: true }, ...children);

function colorOf(service) {
  const i = state.services.indexOf(service);
  if (i >= 0) return PALETTE[i % PALETTE.length];
  let x = 0;
  for (const ch of service) x = (x * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[x % PALETTE.length];
}

function fmtDur(ms) {
  if (!(ms >= 0)) return '–';
  if (ms === 0) return '0';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

function fmtAgo(ms) {
  const d = Math.max(0, Date.now() - ms) / 1000;
  if (d < 5) return 'just now';
  if (d < 60) return `${Math.floor(d)}s ago`;
  if (d < 3600) return `${Math.floor(d / 60)}m ago`;
  if (d < 86400) return `${Math.floor(d / 3600)}h ago`;
  return new Date(ms).toLocaleString();
}

function fmtValue(v) {
  if (typeof v === 'string') return v;
  return JSON.stringify(v, null, 2);
}

function chip(service) {
  return h(
    'span',
    { class: 'chip', 'data-service': service },
    h('i', { style: { background: colorOf(service) } }),
    service,
  );
}

async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  return { status: res.status, body };
}

// ---------------------------------------------------------------------------------------------
// routing

function parseRoute() {
  const p = location.pathname;
  const m = /^\/traces\/([^/]+)$/.exec(p);
  state.route = p === '/map' ? 'map' : 'traces';
  state.traceId = m ? decodeURIComponent(m[1]).toLowerCase() : null;
  const sp = new URLSearchParams(location.search);
  state.spanId = sp.get('span');
}

function navigate(path) {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  parseRoute();
  render(true);
}

document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[data-nav]');
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', () => {
  parseRoute();
  render(true);
});
// Keyboard: "/" search, ↑/↓ (or k/j) move through the spans of the open trace, Esc closes the span.
document.addEventListener('keydown', (e) => {
  const typing = e.target instanceof HTMLElement && /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName);
  if (e.key === 'Escape') {
    if (typing) e.target.blur();
    else if (state.spanId && state.traceId) selectSpan(null);
    return;
  }
  if (typing || e.metaKey || e.ctrlKey || e.altKey) return;
  if (e.key === '/') {
    e.preventDefault();
    document.querySelector('input[name="q"]')?.focus();
    return;
  }
  const down = e.key === 'ArrowDown' || e.key === 'j';
  const up = e.key === 'ArrowUp' || e.key === 'k';
  if (!(down || up) || !state.trace) return;
  const ids = [...document.querySelectorAll('[data-testid="span-row"]')].map((r) => r.getAttribute('data-span-id'));
  if (ids.length === 0) return;
  e.preventDefault();
  const i = ids.indexOf(state.spanId);
  const next = i < 0 ? (down ? 0 : ids.length - 1) : Math.min(ids.length - 1, Math.max(0, i + (down ? 1 : -1)));
  selectSpan(ids[next]);
  document.querySelector(`[data-testid="span-row"][data-span-id="${ids[next]}"]`)?.scrollIntoView({ block: 'nearest' });
});

// ---------------------------------------------------------------------------------------------
// data

async function loadServices() {
  const { body } = await getJson('/api/services');
  if (Array.isArray(body.services)) state.services = body.services;
  const sel = document.querySelector('select[name="service"]');
  const cur = sel.value;
  sel.replaceChildren(
    h('option', { value: '' }, 'All services'),
    ...state.services.map((x) => h('option', { value: x }, x)),
  );
  sel.value = state.services.includes(cur) ? cur : '';
}

async function loadList(renderNow = true) {
  const f = state.filters;
  const qs = new URLSearchParams({ limit: String(listLimit) });
  if (f.q) qs.set('q', f.q);
  if (f.service) qs.set('service', f.service);
  if (f.error) qs.set('error', 'true');
  if (f.minDurationMs !== '' && Number(f.minDurationMs) >= 0) qs.set('minDurationMs', String(Number(f.minDurationMs)));
  const { status, body } = await getJson(`/api/traces?${qs}`);
  if (status === 200) state.list = body;
  if (renderNow) renderList();
}

async function loadTrace() {
  if (!state.traceId) {
    state.trace = null;
    state.notFound = null;
    return;
  }
  const { status, body } = await getJson(`/api/traces/${encodeURIComponent(state.traceId)}`);
  if (status === 200) {
    state.trace = body;
    state.notFound = null;
  } else {
    state.trace = null;
    state.notFound = body?.error?.message ?? `HTTP ${status}`;
  }
}

// ---------------------------------------------------------------------------------------------
// rendering: list

function renderList() {
  const ol = document.getElementById('trace-list');
  const meta = document.getElementById('list-meta');
  const list = state.list;
  document.getElementById('total').textContent = list ? `${list.total.toLocaleString()} traces stored` : '';
  if (!list) return;
  meta.textContent =
    list.matched > list.traces.length
      ? `Showing ${list.traces.length.toLocaleString()} of ${list.matched.toLocaleString()} matching traces`
      : `${list.matched.toLocaleString()} matching trace${list.matched === 1 ? '' : 's'}`;
  if (list.traces.length === 0) {
    ol.replaceChildren(
      h(
        'li',
        { class: 'empty' },
        list.total === 0
          ? [
              h('h2', null, 'No traces yet'),
              'Invoke a function (',
              h('code', null, 'svc-mesh invoke svc:fn'),
              ') and it shows up here live.',
            ]
          : 'No trace matches these filters.',
      ),
    );
    return;
  }
  const maxDur = Math.max(...list.traces.map((t) => t.durationMs), 0.001);
  const frag = document.createDocumentFragment();
  for (const t of list.traces) {
    const sel = t.traceId === state.traceId;
    frag.append(
      h(
        'li',
        {
          class: `trace-item${sel ? ' selected' : ''}${t.hasError ? ' has-error' : ''}`,
          'data-testid': 'trace-row',
          'data-trace-id': t.traceId,
          onclick: () => navigate(`/traces/${t.traceId}`),
        },
        h(
          'div',
          { class: 'ti-line1' },
          h('span', { class: 'ti-name', title: t.rootName }, t.rootName || '(unnamed)'),
          t.hasError
            ? h('span', { class: 'err-badge', title: causeText(t.firstError) || 'failures' }, `⚠ ${t.errorCount}`)
            : null,
          h('span', { class: 'ti-dur' }, fmtDur(t.durationMs)),
        ),
        h(
          'div',
          { class: 'ti-line2' },
          h(
            'span',
            { class: 'ti-services' },
            t.services.slice(0, 5).map(chip),
            t.services.length > 5 ? `+${t.services.length - 5}` : null,
          ),
          h('span', null, `${t.spanCount} span${t.spanCount === 1 ? '' : 's'}`),
          h('span', { title: new Date(t.startMs).toLocaleString() }, fmtAgo(t.startMs)),
        ),
        t.firstError
          ? h(
              'div',
              { class: 'ti-error', title: `${t.firstError.name} (${t.firstError.service}): ${t.firstError.message}` },
              `${t.firstError.name}: ${t.firstError.message}`,
            )
          : null,
        h(
          'div',
          { class: 'ti-bar' },
          h('span', { style: { width: `${Math.max(1, (t.durationMs / maxDur) * 100)}%` } }),
        ),
      ),
    );
  }
  if (list.matched > list.traces.length) {
    frag.append(
      h(
        'li',
        { class: 'more' },
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            onclick: () => {
              listLimit += 200;
              void loadList();
            },
          },
          `Show ${Math.min(200, list.matched - list.traces.length)} more`,
        ),
      ),
    );
  }
  ol.replaceChildren(frag);
}

// ---------------------------------------------------------------------------------------------
// rendering: trace detail

/** Orders spans as a tree: children under parents; a span whose parent is missing hangs under a linked span, else at the top. */
function buildTree(spans) {
  const byId = new Map(spans.map((x) => [x.spanId, x]));
  const children = new Map();
  const roots = [];
  const via = new Map();
  for (const sp of spans) {
    let parent = sp.parentSpanId && byId.get(sp.parentSpanId);
    if (!parent) {
      const l = sp.links.find((x) => byId.has(x.spanId) && x.spanId !== sp.spanId);
      if (l) {
        parent = byId.get(l.spanId);
        via.set(sp.spanId, 'link');
      }
    }
    if (parent && parent !== sp) {
      if (!children.has(parent.spanId)) children.set(parent.spanId, []);
      children.get(parent.spanId).push(sp);
    } else roots.push(sp);
  }
  const out = [];
  const seen = new Set();
  const walk = (sp, depth) => {
    if (seen.has(sp.spanId)) return;
    seen.add(sp.spanId);
    out.push({ span: sp, depth, via: via.get(sp.spanId) ?? null, parent: byId.get(sp.parentSpanId) ?? null });
    const kids = (children.get(sp.spanId) ?? []).sort((a, b) => a.startMs - b.startMs);
    for (const k of kids) walk(k, depth + 1);
  };
  for (const r of roots.sort((a, b) => a.startMs - b.startMs)) walk(r, 0);
  for (const sp of spans) walk(sp, 0); // cycles (bad data) still show every span
  return { rows: out, byId };
}

function niceTicks(total) {
  const target = total / 5;
  const pow = 10 ** Math.floor(Math.log10(target || 1));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((x) => x >= target) ?? pow * 10;
  const ticks = [];
  for (let t = 0; t <= total + 1e-9; t += step) ticks.push(t);
  return ticks;
}

function exceptionOf(span) {
  const ev = span.events.find((e) => e.name === 'exception');
  const a = ev?.attributes ?? {};
  let stack = typeof a['exception.stacktrace'] === 'string' ? a['exception.stacktrace'] : null;
  let remote = null;
  let remoteFrom = null;
  // svc-mesh's RemoteFunctionError appends the callee's stack after a "--- remote (svc:fn) ---" line
  const m = stack ? /\n\s*--- remote \(([^)]*)\) ---\n/.exec(stack) : null;
  if (m && stack) {
    remote = stack.slice(m.index + m[0].length);
    remoteFrom = m[1];
    stack = stack.slice(0, m.index);
  }
  // svc-mesh's wire marker line is for machines
  if (stack) stack = stack.replace(/\n?svc-mesh:error:v1 .*$/gm, '');
  if (remote) remote = remote.replace(/\n?svc-mesh:error:v1 .*$/gm, '');
  const named = stack ? /^([A-Za-z_$][\w$.]*)(?::|$)/.exec(stack)?.[1] : undefined;
  let type = a['exception.type'] ?? null;
  let code = span.attributes['svcmesh.error.code'] ?? null;
  // OpenTelemetry JS reports an error's `code` as its type: show the class name, and the code beside it
  if (named && type !== named) {
    code ??= type;
    type = named;
  }
  if (code === type) code = null;
  const message = a['exception.message'] ?? span.status.message ?? null;
  return { type, code, message, stack, remote, remoteFrom };
}

function renderDetail() {
  const pane = document.getElementById('detail');
  if (state.route === 'map') {
    pane.replaceChildren(renderMapPage());
    return;
  }
  if (state.notFound) {
    pane.replaceChildren(
      h(
        'div',
        { class: 'not-found', 'data-testid': 'not-found' },
        h('h1', null, 'Trace not found'),
        h('p', { class: 'mono' }, state.traceId),
        h('p', null, state.notFound),
        h(
          'p',
          null,
          'If the trace is still arriving, this page updates by itself. ',
          h('a', { href: '/', 'data-nav': true, style: { color: 'var(--accent)' } }, 'All traces →'),
        ),
      ),
    );
    return;
  }
  const tr = state.trace;
  if (!tr) {
    pane.replaceChildren(
      h(
        'div',
        { class: 'empty' },
        h('h2', null, state.list?.total ? 'Pick a trace' : 'Waiting for traces'),
        h('p', null, 'Every invoke, async call and lifecycle event of the local mesh is traced end to end.'),
      ),
      state.list?.total ? renderOperations() : null,
      state.list?.total ? renderGlobalMapSection() : null,
    );
    return;
  }
  const sum = tr.summary;
  const selected = tr.spans.find((x) => x.spanId === state.spanId) ?? null;
  const head = h(
    'div',
    { class: 'trace-head' },
    h(
      'div',
      { class: 'trace-title' },
      h('h1', { 'data-testid': 'trace-title' }, sum.rootName || '(unnamed)'),
      sum.hasError
        ? h('span', { class: 'err-badge' }, `⚠ ${sum.errorCount} error${sum.errorCount === 1 ? '' : 's'}`)
        : null,
      sum.firstError
        ? h('span', { class: 'err-cause', 'data-testid': 'trace-cause' }, causeText(sum.firstError))
        : null,
      h(
        'a',
        {
          class: 'dl',
          href: `/api/traces/${sum.traceId}/otlp`,
          download: `trace-${sum.traceId}.otlp.json`,
          title: 'OTLP/JSON, for Jaeger, Tempo or any OTLP receiver',
        },
        '⤓ OTLP JSON',
      ),
    ),
    h(
      'div',
      { class: 'trace-stats' },
      h('span', null, 'Duration ', h('b', null, fmtDur(sum.durationMs))),
      h('span', null, 'Spans ', h('b', null, sum.spanCount)),
      h('span', null, 'Services ', h('b', null, sum.services.length)),
      h('span', null, 'Sync calls ', h('b', null, sum.hops.sync)),
      h('span', null, 'Async calls ', h('b', null, sum.hops.async)),
      h('span', null, 'Events ', h('b', null, sum.hops.event)),
      h('span', null, 'Started ', h('b', null, new Date(sum.startMs).toLocaleTimeString())),
      h(
        'span',
        { class: 'copy mono', title: 'Copy trace id', onclick: () => navigator.clipboard?.writeText(sum.traceId) },
        sum.traceId,
      ),
      sum.droppedSpans ? h('span', { class: 'wf-orphan' }, `${sum.droppedSpans} spans dropped (per-trace cap)`) : null,
    ),
    h('div', { class: 'trace-services' }, sum.services.map(chip)),
  );
  const body = h(
    'div',
    { class: `trace-body${selected ? ' with-span' : ''}` },
    h(
      'div',
      { class: 'wf-wrap' },
      h(
        'div',
        { class: 'section-title' },
        h('span', null, 'Waterfall'),
        h(
          'span',
          { class: 'legend' },
          legendItem('sync', 'sync call'),
          legendItem('async', 'async (Event) invoke'),
          legendItem('event', 'lifecycle event (SNS)'),
          h('span', null, h('span', { class: 'wf-err' }, '⚠'), 'error'),
        ),
      ),
      renderWaterfall(tr),
      h('div', { class: 'section-title' }, h('span', null, 'Services in this trace')),
      h('div', { class: 'map-wrap' }, renderMap(tr.graph, 'trace')),
    ),
    selected ? renderSpanPanel(selected, tr) : null,
  );
  pane.replaceChildren(head, body);
}

function legendItem(kind, label) {
  return h(
    'span',
    null,
    s(
      'svg',
      { width: 26, height: 8 },
      s('line', {
        x1: 0,
        y1: 4,
        x2: 26,
        y2: 4,
        class: `map-edge ${kind === 'sync' ? '' : kind}`,
        style: { strokeWidth: 2 },
      }),
    ),
    label,
  );
}

function renderWaterfall(tr) {
  const { rows, byId } = buildTree(tr.spans);
  const traceStart = tr.summary.startMs;
  const full = Math.max(tr.summary.durationMs, 0.001);
  // zoom: the visible window, as offsets from the trace start (drag on the time axis)
  const z = state.zoom && state.zoom.traceId === tr.summary.traceId ? state.zoom : null;
  const t0 = traceStart + (z ? z.from : 0);
  const total = z ? Math.max(z.to - z.from, 0.001) : full;
  const pct = (ms) => `${Math.min(100, Math.max(0, ((ms - t0) / total) * 100))}%`;
  const visible = (a, b) => b >= t0 && a <= t0 + total;
  // ticks at round offsets from the trace start, also when zoomed
  const rel = niceTicks(total);
  const step = rel[1] ?? total;
  const ticks = [];
  for (let k = Math.ceil((t0 - traceStart) / step - 1e-9); k * step <= t0 - traceStart + total + 1e-9; k++) {
    ticks.push(k * step - (t0 - traceStart));
  }
  const wf = h('div', { class: 'waterfall', 'data-testid': 'waterfall' });
  const sel = h('div', { class: 'wf-sel' });
  const axis = h(
    'div',
    {
      class: 'wf-ticks',
      title: 'Drag to zoom into a time range; double-click to reset',
      'data-testid': 'wf-axis',
      onmousedown: (e) => {
        const rect = axis.getBoundingClientRect();
        const frac = (x) => Math.min(1, Math.max(0, (x - rect.left) / rect.width));
        const a = frac(e.clientX);
        const move = (m) => {
          const b = frac(m.clientX);
          Object.assign(sel.style, {
            display: 'block',
            left: `${Math.min(a, b) * 100}%`,
            width: `${Math.abs(b - a) * 100}%`,
          });
        };
        const up = (u) => {
          window.removeEventListener('mousemove', move);
          window.removeEventListener('mouseup', up);
          sel.style.display = 'none';
          const b = frac(u.clientX);
          if (Math.abs(b - a) < 0.01) return;
          const base = t0 - traceStart;
          state.zoom = {
            traceId: tr.summary.traceId,
            from: base + Math.min(a, b) * total,
            to: base + Math.max(a, b) * total,
          };
          renderDetail();
        };
        window.addEventListener('mousemove', move);
        window.addEventListener('mouseup', up);
        e.preventDefault();
      },
      ondblclick: () => {
        state.zoom = null;
        renderDetail();
      },
    },
    ticks.map((t) =>
      h(
        'span',
        { style: { left: pct(t0 + t) } },
        fmtDur(Math.round((t + (t0 - traceStart)) * 1e6) / 1e6).replace(/\.0+ /, ' '),
      ),
    ),
    sel,
  );
  wf.append(
    h(
      'div',
      { class: 'wf-axis' },
      h(
        'div',
        { class: 'wf-label muted', style: { fontSize: '11px' } },
        'Span',
        z
          ? h(
              'button',
              {
                type: 'button',
                class: 'btn zoom-reset',
                'data-testid': 'zoom-reset',
                onclick: () => {
                  state.zoom = null;
                  renderDetail();
                },
              },
              `Zoomed ${fmtDur(z.from)} – ${fmtDur(z.to)} · reset`,
            )
          : null,
      ),
      axis,
    ),
  );
  let skipBelow = Number.POSITIVE_INFINITY;
  for (const [i, row] of rows.entries()) {
    // collapsed subtrees: skip every row deeper than the collapsed one until we are back up
    if (row.depth > skipBelow) continue;
    skipBelow = Number.POSITIVE_INFINITY;
    const sp = row.span;
    const hasKids = (rows[i + 1]?.depth ?? -1) > row.depth;
    const collapsed = hasKids && state.collapsed.has(sp.spanId);
    if (collapsed) skipBelow = row.depth;
    const hidden = collapsed ? countBelow(rows, i) : 0;
    const err = sp.status.code === 'error';
    const color = colorOf(sp.service);
    const hop = sp.hop === 'async' || sp.hop === 'event' ? sp.hop : null;
    // the receiving side of an async or event hop starts after its sender: show the gap as such
    const sender = row.parent ?? (row.via === 'link' ? byId.get(sp.links[0]?.spanId) : null);
    const showGap = hop && sender && (sp.kind === 'server' || sp.kind === 'consumer') && sp.startMs > sender.startMs;
    const missingParent = sp.parentSpanId && !byId.has(sp.parentSpanId);
    wf.append(
      h(
        'div',
        {
          class: `wf-row${sp.spanId === state.spanId ? ' selected' : ''}`,
          'data-testid': 'span-row',
          'data-span-id': sp.spanId,
          'data-service': sp.service,
          'data-error': err ? 'true' : 'false',
          'data-hop': hop ?? '',
          onclick: () => selectSpan(sp.spanId),
          title: `${sp.service} · ${sp.name} · ${fmtDur(sp.durationMs)}`,
        },
        h(
          'div',
          { class: 'wf-label' },
          h('span', { class: `wf-indent d${row.depth}`, style: { width: `${row.depth * 16}px` } }),
          hasKids
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'wf-caret',
                  title: collapsed ? `Show ${hidden} hidden span${hidden === 1 ? '' : 's'}` : 'Collapse',
                  'aria-expanded': collapsed ? 'false' : 'true',
                  onclick: (e) => {
                    e.stopPropagation();
                    if (collapsed) state.collapsed.delete(sp.spanId);
                    else state.collapsed.add(sp.spanId);
                    renderDetail();
                  },
                },
                collapsed ? '▸' : '▾',
              )
            : h('span', { class: 'wf-caret none' }),
          h('span', { class: 'wf-dot', style: { background: color } }),
          err ? h('span', { class: 'wf-err', title: 'error' }, '⚠') : null,
          h('span', { class: 'wf-name' }, sp.name || '(unnamed)'),
          h('span', { class: 'wf-svc' }, sp.service),
          hop ? h('span', { class: `badge ${hop}` }, hop) : null,
          sp.attributes['faas.coldstart'] === true
            ? h('span', { class: 'badge cold', title: 'cold start' }, 'cold')
            : null,
          sp.attributes['svcmesh.fault.injected'] === true
            ? h(
                'span',
                {
                  class: 'badge fault',
                  'data-testid': 'injected-fault',
                  title: `injected fault: ${sp.attributes['svcmesh.fault.spec'] ?? ''}`,
                },
                `injected ${sp.attributes['svcmesh.fault.kind'] ?? 'fault'}`,
              )
            : null,
          collapsed ? h('span', { class: 'badge' }, `+${hidden}`) : null,
          missingParent
            ? h('span', { class: 'wf-orphan', title: `parent ${sp.parentSpanId} not received` }, '↖ remote parent')
            : null,
        ),
        h(
          'div',
          { class: 'wf-track' },
          showGap
            ? h('span', {
                class: `wf-gap ${hop}`,
                style: { left: pct(sender.startMs), width: `calc(${pct(sp.startMs)} - ${pct(sender.startMs)})` },
              })
            : null,
          visible(sp.startMs, sp.startMs + sp.durationMs) &&
            h('span', {
              class: `wf-bar${hop ? ` ${hop}` : ''}${err ? ' error' : ''}`,
              style: {
                left: pct(sp.startMs),
                width: `max(2px, calc(${pct(sp.startMs + sp.durationMs)} - ${pct(sp.startMs)}))`,
                background: color,
              },
            }),
          sp.events
            .filter((e) => visible(e.timeMs, e.timeMs))
            .map((e) =>
              h('span', {
                class: `wf-marker${e.name === 'exception' ? ' exception' : e.name === 'log' ? ' log' : ''}`,
                style: { left: pct(e.timeMs) },
                title: `${e.name} at +${fmtDur(e.timeMs - traceStart)}`,
              }),
            ),
          visible(sp.startMs, sp.startMs + sp.durationMs) &&
            h('span', { class: 'wf-dur', style: { left: pct(sp.startMs + sp.durationMs) } }, fmtDur(sp.durationMs)),
        ),
      ),
    );
  }
  // the vertical grid lines, drawn once over every row (not once per row: big traces stay fast)
  wf.append(
    h(
      'div',
      { class: 'wf-gridlayer' },
      h('div'),
      h(
        'div',
        { class: 'wf-gridcell' },
        ticks.map((t) => h('span', { class: 'wf-grid', style: { left: pct(t0 + t) } })),
      ),
    ),
  );
  return wf;
}

function countBelow(rows, i) {
  let n = 0;
  for (let j = i + 1; j < rows.length && rows[j].depth > rows[i].depth; j++) n++;
  return n;
}

function selectSpan(spanId) {
  state.spanId = spanId;
  const url = `/traces/${state.traceId}${spanId ? `?span=${spanId}` : ''}`;
  history.replaceState(null, '', url);
  const body = document.querySelector('.trace-body');
  const tr = state.trace;
  if (!body || !tr) {
    renderDetail();
    return;
  }
  // only the highlight and the panel change: no re-render of a possibly large waterfall
  for (const r of body.querySelectorAll('.wf-row.selected')) r.classList.remove('selected');
  if (spanId) body.querySelector(`.wf-row[data-span-id="${spanId}"]`)?.classList.add('selected');
  body.querySelector('.span-panel')?.remove();
  const sp = spanId ? tr.spans.find((x) => x.spanId === spanId) : undefined;
  body.classList.toggle('with-span', sp !== undefined);
  if (sp) body.append(renderSpanPanel(sp, tr));
}

function kvList(attrs) {
  const keys = Object.keys(attrs).sort();
  if (keys.length === 0) return h('div', { class: 'muted' }, 'none');
  return h(
    'dl',
    { class: 'kv' },
    keys.map((k) => [h('dt', null, k), h('dd', null, fmtValue(attrs[k]))]),
  );
}

function parseJsonText(v) {
  if (typeof v !== 'string' || v.length < 2 || (v[0] !== '{' && v[0] !== '[')) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return undefined; // not JSON (or truncated): shown with the other attributes
  }
}

/** Lifecycle event payloads and any attribute holding a JSON document, as [label, value]. */
function jsonPayloads(span) {
  const out = [];
  for (const [k, v] of Object.entries(span.attributes)) {
    const j = parseJsonText(v);
    if (j !== undefined) out.push([k, j]);
  }
  for (const e of span.events) {
    for (const [k, v] of Object.entries(e.attributes)) {
      const j = parseJsonText(v);
      if (j !== undefined)
        out.push([e.name === 'svcmesh.lifecycle.message' ? 'lifecycle event (CloudEvents)' : `${e.name} · ${k}`, j]);
    }
  }
  return out;
}

function renderSpanPanel(sp, tr) {
  const t0 = tr.summary.startMs;
  const err = sp.status.code === 'error';
  const ex = exceptionOf(sp);
  const byId = new Map(tr.spans.map((x) => [x.spanId, x]));
  const parent = sp.parentSpanId ? byId.get(sp.parentSpanId) : null;
  const payloads = jsonPayloads(sp);
  // a subscriber shows the event it received: the payload recorded on its producer
  if (sp.kind === 'consumer') {
    const producer = [byId.get(sp.parentSpanId), ...sp.links.map((l) => byId.get(l.spanId))].find(
      (x) => x && x.kind === 'producer',
    );
    if (producer) for (const [k, v] of jsonPayloads(producer)) payloads.push([`received: ${k}`, v]);
  }
  const logs = sp.events.filter((e) => e.name === 'log');
  const otherEvents = sp.events.filter((e) => e.name !== 'log' && e.name !== 'svcmesh.lifecycle.message');
  const spanLink = (id, label) => {
    const target = byId.get(id);
    return h(
      'div',
      { class: 'link-row', onclick: () => target && selectSpan(id) },
      target ? h('span', { class: 'wf-dot', style: { background: colorOf(target.service) } }) : null,
      h('span', { class: 'wf-name' }, target ? target.name : `${id} (not received)`),
      target ? h('span', { class: 'wf-svc' }, target.service) : null,
      label ? h('span', { class: 'badge' }, label) : null,
    );
  };
  return h(
    'aside',
    { class: 'span-panel', 'data-testid': 'span-detail', 'data-span-id': sp.spanId },
    h(
      'div',
      { class: 'sp-head' },
      h(
        'div',
        { class: 'sp-title' },
        h('h2', null, sp.name || '(unnamed)'),
        h('button', { class: 'sp-close', title: 'Close (Esc)', onclick: () => selectSpan(null) }, '×'),
      ),
      h(
        'div',
        { class: 'sp-meta' },
        chip(sp.service),
        h('span', { class: 'badge kind' }, sp.kind),
        sp.hop ? h('span', { class: `badge ${sp.hop}` }, sp.hop) : null,
        err
          ? h('span', { class: 'err-badge' }, 'error')
          : sp.status.code === 'ok'
            ? h('span', { class: 'badge' }, 'ok')
            : null,
      ),
      h(
        'dl',
        { class: 'kv' },
        h('dt', null, 'Duration'),
        h('dd', null, fmtDur(sp.durationMs)),
        h('dt', null, 'Start'),
        h('dd', null, `+${fmtDur(sp.startMs - t0)}`),
        h('dt', null, 'Span id'),
        h('dd', null, sp.spanId),
        sp.traceState ? [h('dt', null, 'tracestate'), h('dd', null, sp.traceState)] : null,
      ),
    ),
    err || ex.type || ex.stack
      ? h(
          'div',
          { class: 'sp-section' },
          h('h3', null, 'Error'),
          h(
            'div',
            { class: 'error-box', 'data-testid': 'span-error' },
            h(
              'div',
              { class: 'etype' },
              ex.type ?? 'Error',
              ex.code ? h('span', { class: 'badge ecode' }, ex.code) : null,
            ),
            ex.message ? h('div', { class: 'emsg' }, ex.message) : null,
            ex.stack ? h('pre', null, ex.stack) : null,
            ex.remote
              ? [h('div', { class: 'remote' }, 'Remote stack (callee)'), h('pre', null, String(ex.remote))]
              : null,
          ),
        )
      : null,
    parent || sp.links.length
      ? h(
          'div',
          { class: 'sp-section' },
          h('h3', null, 'Relations'),
          parent
            ? spanLink(parent.spanId, sp.links.some((l) => l.spanId === parent.spanId) ? 'parent · link' : 'parent')
            : null,
          sp.links.filter((l) => l.spanId !== parent?.spanId).map((l) => spanLink(l.spanId, 'link')),
        )
      : sp.parentSpanId
        ? h(
            'div',
            { class: 'sp-section' },
            h('h3', null, 'Relations'),
            h(
              'div',
              { class: 'wf-orphan' },
              `Parent ${sp.parentSpanId} was not received (remote caller, or still in flight)`,
            ),
          )
        : null,
    payloads.length
      ? h(
          'div',
          { class: 'sp-section', 'data-testid': 'span-payloads' },
          h('h3', null, 'Payloads'),
          payloads.map(([k, v]) => [
            h('div', { class: 'muted mono', style: { fontSize: '11px' } }, k),
            h('pre', { class: 'json' }, JSON.stringify(v, null, 2)),
          ]),
        )
      : null,
    logs.length
      ? h(
          'div',
          { class: 'sp-section', 'data-testid': 'span-logs' },
          h('h3', null, `Logs (${logs.length})`),
          h(
            'div',
            { class: 'logs' },
            logs.map((e) => {
              const sev = String(e.attributes['log.severity'] ?? 'info');
              return h(
                'div',
                { class: `log-line ${sev}` },
                h('span', { class: 'ev-time' }, `+${fmtDur(e.timeMs - t0)}`),
                h('span', { class: 'log-sev' }, sev),
                h('span', { class: 'log-msg' }, String(e.attributes['log.message'] ?? '')),
              );
            }),
          ),
        )
      : null,
    h('div', { class: 'sp-section' }, h('h3', null, 'Attributes'), kvList(sp.attributes)),
    otherEvents.length
      ? h(
          'div',
          { class: 'sp-section' },
          h('h3', null, `Events (${otherEvents.length})`),
          otherEvents.map((e) =>
            h(
              'div',
              { class: 'ev' },
              h(
                'div',
                { class: 'ev-head' },
                h('span', { class: 'ev-time' }, `+${fmtDur(e.timeMs - t0)}`),
                h('b', null, e.name),
              ),
              Object.keys(e.attributes).length ? kvList(e.attributes) : null,
            ),
          ),
        )
      : null,
    h('div', { class: 'sp-section' }, h('h3', null, 'Resource'), kvList(sp.resource)),
    h(
      'div',
      { class: 'sp-section' },
      h('h3', null, 'Instrumentation scope'),
      h('div', { class: 'mono' }, `${sp.scope.name}${sp.scope.version ? ` ${sp.scope.version}` : ''}`),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// service map (SVG, layered left to right)

function layout(graph) {
  const names = graph.nodes.map((n) => n.name);
  const out = new Map(names.map((n) => [n, []]));
  const indeg = new Map(names.map((n) => [n, 0]));
  for (const e of graph.edges) {
    if (e.from === e.to || !out.has(e.from) || !out.has(e.to)) continue;
    out.get(e.from).push(e.to);
    indeg.set(e.to, indeg.get(e.to) + 1);
  }
  const level = new Map();
  // longest path from a source, cycles cut by a visit guard
  const visit = (n, d, stack) => {
    if (stack.has(n) || (level.get(n) ?? -1) >= d) return;
    level.set(n, d);
    stack.add(n);
    for (const m of out.get(n)) visit(m, d + 1, stack);
    stack.delete(n);
  };
  for (const n of names) if (indeg.get(n) === 0) visit(n, 0, new Set());
  for (const n of names) if (!level.has(n)) visit(n, 0, new Set());
  const cols = [];
  for (const n of names) {
    const l = level.get(n) ?? 0;
    (cols[l] ??= []).push(n);
  }
  return { cols, level };
}

function renderMap(graph, mode) {
  if (!graph || graph.nodes.length === 0) return h('div', { class: 'muted' }, 'No services yet.');
  const { cols } = layout(graph);
  const W = 170;
  const H = 50;
  const GX = 120;
  const GY = 26;
  const pos = new Map();
  const maxRows = Math.max(...cols.map((c) => c?.length ?? 0));
  cols.forEach((col, ci) => {
    (col ?? []).forEach((n, ri) => {
      const offset = ((maxRows - col.length) * (H + GY)) / 2;
      pos.set(n, { x: 10 + ci * (W + GX), y: 10 + offset + ri * (H + GY) });
    });
  });
  const width = 20 + cols.length * W + (cols.length - 1) * GX;
  const height = 20 + maxRows * H + (maxRows - 1) * GY;
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    'data-testid': mode === 'trace' ? 'trace-map' : 'service-map',
    role: 'img',
    'aria-label': 'Service map',
  });
  const defs = s('defs');
  for (const [id, color] of [
    ['arrow', '#7d879c'],
    ['arrow-async', '#8ea7ff'],
    ['arrow-event', '#e0a64c'],
    ['arrow-err', '#f0525c'],
  ]) {
    defs.append(
      s(
        'marker',
        {
          id: `${mode}-${id}`,
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        s('path', { d: 'M0,0 L10,5 L0,10 z', fill: color }),
      ),
    );
  }
  svg.append(defs);
  // parallel edges between the same pair are fanned out
  const pairCount = new Map();
  for (const e of graph.edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    const key = `${e.from}>${e.to}`;
    const k = pairCount.get(key) ?? 0;
    pairCount.set(key, k + 1);
    const fan = k * 14;
    let d;
    let lx;
    let ly;
    if (e.from === e.to) {
      d = `M${a.x + W - 30},${a.y} c 10,-30 40,-30 30,0`;
      lx = a.x + W - 10;
      ly = a.y - 22;
    } else if (b.x > a.x) {
      const x1 = a.x + W;
      const y1 = a.y + H / 2 + fan - 7;
      const x2 = b.x - 2;
      const y2 = b.y + H / 2 + fan - 7;
      const mx = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
      lx = mx;
      ly = (y1 + y2) / 2 - 6;
    } else {
      const x1 = a.x + W / 2 + fan;
      const y1 = a.y + H;
      const x2 = b.x + W / 2 + fan;
      const y2 = b.y + (b.y > a.y ? 0 : H);
      d = `M${x1},${y1} C${x1},${y1 + 40} ${x2},${y2 + 40} ${x2},${y2}`;
      lx = (x1 + x2) / 2;
      ly = Math.max(y1, y2) + 30;
    }
    const cls = e.hop === 'async' ? 'async' : e.hop === 'event' ? 'event' : '';
    const marker = e.errorCount > 0 ? 'arrow-err' : cls ? `arrow-${cls}` : 'arrow';
    svg.append(
      s('path', {
        d,
        class: `map-edge ${cls}${e.errorCount > 0 && !cls ? ' err' : ''}`,
        'marker-end': `url(#${mode}-${marker})`,
        'data-hop': e.hop,
      }),
      s(
        'text',
        { x: lx, y: ly, 'text-anchor': 'middle', class: 'map-label' },
        `${e.hop === 'call' ? 'call' : e.hop}${e.count > 1 ? ` ×${e.count}` : ''}`,
        e.errorCount > 0 ? s('tspan', { fill: '#f0525c' }, ` · ${e.errorCount} err`) : null,
        (() => {
          const b = e.hop === 'sync' || e.hop === 'call' ? breakerBetween(e.from, e.to) : null;
          return b && b !== 'closed'
            ? s('tspan', { fill: b === 'open' ? '#f0525c' : '#e0a64c', 'data-breaker': b }, ` · breaker ${b}`)
            : null;
        })(),
      ),
    );
  }
  for (const n of graph.nodes) {
    const p = pos.get(n.name);
    if (!p) continue;
    const color = colorOf(n.name);
    svg.append(
      s(
        'g',
        { class: 'map-node', transform: `translate(${p.x},${p.y})`, 'data-service': n.name },
        s('rect', { width: W, height: H, rx: 10, stroke: color }),
        s('rect', { width: 5, height: H - 16, x: 0, y: 8, rx: 2, fill: color, stroke: 'none' }),
        s('text', { x: 16, y: 21 }, n.name),
        s(
          'text',
          { x: 16, y: 38, class: `sub${n.errorCount ? ' err' : ''}` },
          `${n.spanCount} span${n.spanCount === 1 ? '' : 's'}${n.errorCount ? ` · ${n.errorCount} error${n.errorCount === 1 ? '' : 's'}` : ''}`,
        ),
      ),
    );
  }
  return svg;
}

let globalGraph = null;
let operations = null;
async function loadOperations() {
  const { status, body } = await getJson('/api/operations');
  if (status === 200) operations = body.operations;
}

function renderOperations() {
  if (!operations || operations.length === 0) return null;
  const pickOp = (op) => {
    const input = document.querySelector('input[name="q"]');
    input.value = op.name;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  };
  return h(
    'div',
    null,
    h('div', { class: 'section-title' }, h('span', null, 'Operations (all stored traces)')),
    h(
      'table',
      { class: 'edges ops', 'data-testid': 'operations' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Root operation', 'Traces', 'Errors', 'p50', 'p95', 'Max', 'Last'].map((x) => h('th', null, x)),
        ),
      ),
      h(
        'tbody',
        null,
        operations.slice(0, 20).map((op) =>
          h(
            'tr',
            { class: 'op-row', title: 'Show these traces', onclick: () => pickOp(op) },
            h(
              'td',
              null,
              h('span', {
                class: 'wf-dot',
                style: { background: colorOf(op.service), display: 'inline-block', marginRight: '7px' },
              }),
              op.name,
            ),
            h('td', { class: 'num' }, op.count),
            h(
              'td',
              { class: `num${op.errorCount ? ' bad' : ''}` },
              op.errorCount ? `${op.errorCount} (${Math.round((op.errorCount / op.count) * 100)}%)` : '0',
            ),
            h('td', { class: 'num' }, fmtDur(op.p50Ms)),
            h('td', { class: 'num' }, fmtDur(op.p95Ms)),
            h('td', { class: 'num' }, fmtDur(op.maxMs)),
            h('td', { class: 'num muted' }, fmtAgo(op.lastMs)),
          ),
        ),
      ),
    ),
  );
}

function renderGlobalMapSection() {
  const wrap = h('div', { class: 'map-wrap' }, globalGraph ? renderMap(globalGraph, 'global') : 'Loading service map…');
  return h('div', null, h('div', { class: 'section-title' }, h('span', null, 'Service map (all stored traces)')), wrap);
}

function renderMapPage() {
  const g = globalGraph;
  const hopName = { sync: 'sync invoke', async: 'async (Event) invoke', event: 'lifecycle event (SNS)', call: 'call' };
  return h(
    'div',
    { class: 'map-page' },
    h('h1', null, 'Service map'),
    h(
      'p',
      { class: 'muted' },
      'Drawn from every stored span: an arrow wherever a span in one service is the parent (or link) of a span in another. ',
      'Solid: sync invoke · dashed: async (Event) invoke · dotted: lifecycle event over SNS.',
    ),
    h('div', { class: 'map-wrap big' }, g ? renderMap(g, 'global') : 'Loading…'),
    renderResilience(),
    g && g.edges.length
      ? h(
          'table',
          { class: 'edges', 'data-testid': 'edge-table' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['From', 'To', 'Kind', 'Calls', 'Errors'].map((x) => h('th', null, x)),
            ),
          ),
          h(
            'tbody',
            null,
            [...g.edges]
              .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to))
              .map((e) =>
                h(
                  'tr',
                  null,
                  h('td', null, chip(e.from)),
                  h('td', null, chip(e.to)),
                  h('td', null, h('span', { class: `badge ${e.hop}` }, hopName[e.hop] ?? e.hop)),
                  h('td', { class: 'num' }, e.count),
                  h('td', { class: `num${e.errorCount ? ' bad' : ''}` }, e.errorCount),
                ),
              ),
          ),
        )
      : null,
  );
}

async function loadGraph() {
  const { status, body } = await getJson('/api/graph');
  if (status === 200) globalGraph = body;
  // Edge policies and breaker states (docs/resiliency.md); only the local mesh serves them.
  const r = await getJson('/_mesh/resilience').catch(() => ({ status: 0 }));
  resilience = r.status === 200 && Array.isArray(r.body.edges) ? r.body : null;
}

let resilience = null;

function fmtMs(ms) {
  return ms % 60000 === 0 ? `${ms / 60000}m` : ms >= 1000 && ms % 100 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function policyText(p) {
  if (!p) return '—';
  const parts = [];
  if (p.timeoutMs !== undefined) parts.push(`timeout ${fmtMs(p.timeoutMs)}`);
  if (p.retries !== undefined) parts.push(`retries ${p.retries}`);
  if (p.breaker) parts.push(`breaker ${p.breaker.failures}/${fmtMs(p.breaker.halfOpenMs)}`);
  if (p.maxConcurrent !== undefined) parts.push(`max ${p.maxConcurrent}${p.queue ? `+${p.queue}` : ''}`);
  if (p.fallback) parts.push(`fallback ${p.fallback}`);
  return parts.join(' · ');
}

/** The worst breaker state reported on any function edge between two services. */
function breakerBetween(from, to) {
  let worst = null;
  for (const e of resilience?.edges ?? []) {
    if (!e.breaker || e.caller.split(':')[0] !== from || e.target.split(':')[0] !== to) continue;
    const rank = { closed: 0, 'half-open': 1, open: 2 };
    if (worst === null || rank[e.breaker.state] > rank[worst]) worst = e.breaker.state;
  }
  return worst;
}

function renderResilience() {
  const r = resilience;
  if (!r || (r.edges.length === 0 && r.faults.rules.length === 0)) return null;
  return h(
    'div',
    { class: 'resilience', 'data-testid': 'resilience' },
    h('div', { class: 'section-title' }, h('span', null, 'Edge policies and circuit breakers')),
    r.edges.length
      ? h(
          'table',
          { class: 'edges', 'data-testid': 'policy-table' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['Caller', 'Target', 'Policy', 'Breaker', 'Failures', 'Last failure'].map((x) => h('th', null, x)),
            ),
          ),
          h(
            'tbody',
            null,
            r.edges.map((e) =>
              h(
                'tr',
                { 'data-edge': `${e.caller}>${e.target}` },
                h('td', null, e.caller),
                h('td', null, e.target),
                h('td', null, policyText(e.policy)),
                h(
                  'td',
                  null,
                  e.breaker
                    ? h(
                        'span',
                        { class: `badge breaker ${e.breaker.state}`, 'data-state': e.breaker.state },
                        e.breaker.state,
                      )
                    : h('span', { class: 'muted' }, e.policy?.breaker ? 'closed (no change seen)' : '—'),
                ),
                h('td', { class: 'num' }, e.breaker?.failures ?? ''),
                h('td', null, e.breaker?.lastFailure ?? ''),
              ),
            ),
          ),
        )
      : null,
    r.faults.rules.length
      ? h(
          'p',
          { class: 'muted', 'data-testid': 'faults' },
          `Injected faults: ${r.faults.stats.map((s) => `${s.spec} (${s.injected}/${s.matched})`).join(', ')}`,
        )
      : null,
  );
}

// ---------------------------------------------------------------------------------------------
// top-level render and live updates

async function render(routeChanged) {
  const app = document.getElementById('app');
  app.classList.toggle('map-mode', state.route === 'map');
  for (const a of document.querySelectorAll('.tabs a')) a.classList.toggle('active', a.dataset.tab === state.route);
  if (state.route === 'map' || (!state.traceId && state.list?.total))
    await Promise.all([loadGraph(), loadOperations()]);
  if (routeChanged) await loadTrace();
  renderList();
  renderDetail();
  document.title = state.trace ? `${state.trace.summary.rootName} · svc-mesh traces` : 'svc-mesh · traces';
}

let refreshTimer = null;
let refreshIds = new Set();
let refreshAll = false;
function scheduleRefresh(ids) {
  if (ids === null) refreshAll = true;
  else for (const id of ids) refreshIds.add(id);
  refreshTimer ??= setTimeout(async () => {
    refreshTimer = null;
    const ids2 = refreshIds;
    const all = refreshAll;
    refreshIds = new Set();
    refreshAll = false;
    await loadServices();
    await loadList();
    if (state.traceId && (all || ids2.has(state.traceId))) {
      await loadTrace();
      renderDetail();
    } else if (!state.traceId || state.route === 'map') {
      await Promise.all([loadGraph(), loadOperations()]);
      renderDetail();
    }
  }, 250);
}

let pollTimer = null;
function connectLive() {
  const live = document.getElementById('live');
  if (typeof EventSource === 'undefined') {
    startPolling();
    return;
  }
  const es = new EventSource('/api/stream');
  es.addEventListener('hello', () => {
    live.textContent = 'Live';
    live.className = 'live on';
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  });
  es.addEventListener('traces', (e) => {
    try {
      scheduleRefresh(JSON.parse(e.data).traceIds ?? null);
    } catch {
      scheduleRefresh(null);
    }
  });
  es.addEventListener('clear', () => scheduleRefresh(null));
  es.onerror = () => {
    live.textContent = 'Reconnecting…';
    live.className = 'live off';
    if (es.readyState === EventSource.CLOSED) startPolling();
  };
}
function startPolling() {
  const live = document.getElementById('live');
  live.textContent = 'Polling';
  live.className = 'live off';
  pollTimer ??= setInterval(() => scheduleRefresh(null), 3000);
}

function bindFilters() {
  const form = document.getElementById('filters');
  let t = null;
  const apply = () => {
    const fd = new FormData(form);
    state.filters = {
      q: String(fd.get('q') ?? '').trim(),
      service: String(fd.get('service') ?? ''),
      error: fd.get('error') === 'on',
      minDurationMs: String(fd.get('minDurationMs') ?? ''),
    };
    listLimit = LIST_PAGE;
    void loadList();
  };
  form.addEventListener('input', () => {
    clearTimeout(t);
    t = setTimeout(apply, 150);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply();
  });
  document.getElementById('clear').addEventListener('click', async () => {
    if (!confirm('Remove every stored trace?')) return;
    await fetch('/api/traces', { method: 'DELETE' });
    if (state.traceId) navigate('/');
    scheduleRefresh(null);
  });
}

async function main() {
  parseRoute();
  bindFilters();
  await loadServices();
  await Promise.all([loadList(false), loadTrace()]);
  await render(false);
  document.body.dataset.ready = 'true';
  connectLive();
  setInterval(renderList, 30_000); // keeps "x s ago" fresh
}

void main();

/** The root cause of a trace's failure, as one line: `name: Type [CODE]: message`. */
function causeText(fe) {
  if (!fe) return '';
  const head = [fe.type, fe.code ? `[${fe.code}]` : ''].filter(Boolean).join(' ');
  return `${fe.name}: ${head ? `${head}: ` : ''}${fe.message}`;
}
