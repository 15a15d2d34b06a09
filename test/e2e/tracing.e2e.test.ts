/**
 * End to end on the local mesh: one trace follows a request across a sync invoke, an async
 * (Event) invoke and an SNS lifecycle event, through four services loaded from their own
 * serverless.yml files (test/fixtures/trace-e2e), with tracing started in every worker.
 * Then real headless Chromium opens the viewer and finds it.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import type { TraceDetail, TraceSpan } from '../../tools/local/traces/index.js';
import { type LocalMesh, startLocalMesh } from '../../tools/local/index.js';

/** The page's DOM, for predicates that run in the browser (a function, not a string: the viewer's CSP forbids eval). */
declare const document: { querySelectorAll(s: string): { length: number }; querySelector(s: string): unknown };

const FIXTURE = fileURLToPath(new URL('../fixtures/trace-e2e/', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));

const traceId = randomBytes(16).toString('hex');
const rootParent = randomBytes(8).toString('hex');
const TRACESTATE = 'svcmesh=e2e,vendor=k1';
let mesh: LocalMesh;
let lambda: LambdaClient;
let detail: TraceDetail;
let placeOrderResult: unknown;

/** Invokes orders:placeOrder as a non-mesh caller would, optionally with ClientContext custom and an X-Ray header. */
async function placeOrder(amountCents: number, custom?: Record<string, string>, xray?: string): Promise<unknown> {
  const cmd = new InvokeCommand({
    FunctionName: 'orders-dev-placeOrder',
    Payload: JSON.stringify({ orderId: `o-${randomBytes(3).toString('hex')}`, amountCents }),
    ...(custom ? { ClientContext: Buffer.from(JSON.stringify({ custom })).toString('base64') } : {}),
  });
  if (xray) {
    cmd.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-amzn-trace-id'] = xray;
        return next(args);
      },
      { step: 'build', name: 'xrayHeader' },
    );
  }
  const out = await lambda.send(cmd);
  return JSON.parse(new TextDecoder().decode(out.Payload));
}

async function traceIds(): Promise<Set<string>> {
  const res = await fetch(`${mesh.endpoint}/api/traces?service=orders&limit=1000`);
  return new Set(((await res.json()) as { traces: { traceId: string }[] }).traces.map((t) => t.traceId));
}

/** Waits for a trace not in `before` whose spans include every name in `names`. */
async function newTrace(before: Set<string>, names: string[]): Promise<TraceDetail> {
  return until(
    async () => {
      for (const id of await traceIds()) {
        if (before.has(id)) continue;
        const d = (await (await fetch(`${mesh.endpoint}/api/traces/${id}`)).json()) as TraceDetail;
        const have = new Set(d.spans.map((x) => x.name));
        if (names.every((n) => have.has(n))) return d;
      }
      return undefined;
    },
    `a new trace with ${names.join(', ')}`,
  );
}

async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 45_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const EXPECTED = [
  'orders:placeOrder',
  'invoke payments:charge',
  'payments:charge',
  'invoke ledger:record',
  'ledger:record',
  'publish payments:charge failed',
];
const isConsumer = (s: TraceSpan) => s.kind === 'consumer' && s.service === 'alerts';

beforeAll(async () => {
  mesh = await startLocalMesh({ paths: [FIXTURE], stage: 'dev', port: 0, quiet: true });
  lambda = new LambdaClient({
    endpoint: mesh.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  // The test is the caller: it starts the trace with a traceparent, a tracestate and baggage.
  placeOrderResult = await placeOrder(250_000, {
    traceparent: `00-${traceId}-${rootParent}-01`,
    tracestate: TRACESTATE,
    baggage: 'tenant=acme',
  });
  // Wait (no timing assertion) until every hop's spans have reached the collector.
  detail = await until(async () => {
    const res = await fetch(`${mesh.endpoint}/api/traces/${traceId}`);
    if (res.status !== 200) return undefined;
    const d = (await res.json()) as TraceDetail;
    const names = new Set(d.spans.map((s) => s.name));
    return EXPECTED.every((n) => names.has(n)) && d.spans.some(isConsumer) ? d : undefined;
  }, 'the spans of every hop');
}, 90_000);

afterAll(async () => {
  await mesh?.stop();
});

describe('Tracing end to end on the local mesh', () => {
  const span = (name: string): TraceSpan => {
    const s = detail.spans.find((x) => x.name === name);
    expect(s, `span ${name}`).toBeDefined();
    return s!;
  };

  it('runs the scenario: the declined charge is an answer for orders', () => {
    expect(placeOrderResult).toMatchObject({ status: 'declined' });
    expect((placeOrderResult as { reason: string }).reason).toMatch(/over the 100000 limit/);
  });

  it('puts every span of every hop in the trace the caller started', () => {
    expect(new Set(detail.spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
    expect(detail.summary.services).toEqual(expect.arrayContaining(['orders', 'payments', 'ledger', 'alerts']));
    expect(detail.summary.rootName).toBe('orders:placeOrder');
  });

  it('links parents and children across sync, async and event hops, with the agreed kinds and hop attributes', () => {
    const root = span('orders:placeOrder');
    const callCharge = span('invoke payments:charge');
    const charge = span('payments:charge');
    const callRecord = span('invoke ledger:record');
    const record = span('ledger:record');
    const publish = span('publish payments:charge failed');
    const consumer = detail.spans.find(isConsumer)!;

    // the test is not a mesh function: its call is a `direct` hop
    expect([root.kind, root.service, root.parentSpanId, root.hop]).toEqual(['server', 'orders', rootParent, 'direct']);
    expect([callCharge.kind, callCharge.parentSpanId, callCharge.hop]).toEqual(['client', root.spanId, 'sync']);
    expect([charge.kind, charge.service, charge.parentSpanId, charge.hop]).toEqual([
      'server',
      'payments',
      callCharge.spanId,
      'sync',
    ]);
    expect([callRecord.kind, callRecord.parentSpanId, callRecord.hop]).toEqual(['client', charge.spanId, 'async']);
    expect([record.kind, record.service, record.parentSpanId, record.hop]).toEqual([
      'server',
      'ledger',
      callRecord.spanId,
      'async',
    ]);
    expect([publish.kind, publish.parentSpanId, publish.hop]).toEqual(['producer', charge.spanId, 'event']);
    expect(publish.attributes['messaging.system']).toBe('aws_sns');
    // under the local mesh the CloudEvents body rides on the PRODUCER span, for the viewer
    const body = publish.events.find((e) => e.name === 'svcmesh.lifecycle.message')?.attributes['svcmesh.event.body'];
    expect(JSON.parse(String(body))).toMatchObject({
      specversion: '1.0',
      type: 'svc-mesh.function.failed',
      data: { error: { message: 'card declined: 250000 cents is over the 100000 limit' } },
    });
    expect([consumer.kind, consumer.parentSpanId, consumer.hop]).toEqual(['consumer', publish.spanId, 'event']);
    expect(consumer.links.map((l) => [l.traceId, l.spanId])).toEqual([[traceId, publish.spanId]]);
    // the subscriber's console output is on its span (log capture under the local mesh)
    expect(consumer.events.find((e) => e.name === 'log')?.attributes['log.message']).toMatch(
      /^page on-call: payment failed/,
    );
    expect(consumer.name).toMatch(/^alerts:onPaymentFailed <- .*payments.*charge.* failed$/);
    // the X-Ray header went out on the Invoke request: the callee's _X_AMZN_TRACE_ID is the same trace
    expect(record.events.find((e) => e.name === 'log')?.attributes['log.message']).toBe(
      `x-ray: Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${callRecord.spanId};Sampled=1`,
    );
    // the caller's CLIENT span carries the FaaS/RPC conventions
    expect(callCharge.attributes).toMatchObject({ 'rpc.system': 'aws-api', 'faas.invoked_provider': 'aws' });
  });

  it('keeps tracestate and baggage on every span of every hop', () => {
    for (const s of detail.spans) expect([s.name, s.traceState]).toEqual([s.name, TRACESTATE]);
    // baggage is copied onto spans under the local mesh (baggage.<key>)
    for (const s of detail.spans) expect([s.name, s.attributes['baggage.tenant']]).toEqual([s.name, 'acme']);
  });

  it('marks the failed charge and the caller with error status and the exception', () => {
    const charge = span('payments:charge');
    expect(charge.status.code).toBe('error');
    const ex = charge.events.find((e) => e.name === 'exception');
    // OpenTelemetry JS reports an error's `code` as exception.type; the name is in the stack
    expect(ex?.attributes['exception.type']).toBe('CARD_DECLINED');
    expect(String(ex?.attributes['exception.stacktrace'])).toMatch(/^CardDeclinedError: card declined: 250000 cents/);
    expect(ex?.attributes['exception.message']).toBe('card declined: 250000 cents is over the 100000 limit');
    const call = span('invoke payments:charge');
    expect(call.status.code).toBe('error');
    expect(span('ledger:record').status.code).not.toBe('error');
    expect(detail.graph.edges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: 'orders', to: 'payments', hop: 'sync' }),
        expect.objectContaining({ from: 'payments', to: 'ledger', hop: 'async' }),
        expect.objectContaining({ from: 'payments', to: 'alerts', hop: 'event' }),
      ]),
    );
  });
});

describe('Tracing: bad input and X-Ray on the local mesh', () => {
  it('starts a new trace for a malformed traceparent, and the call still succeeds', async () => {
    const before = await traceIds();
    const out = await placeOrder(1_000, { traceparent: '00-not-a-trace-id-01', tracestate: 'x=1' });
    expect(out).toMatchObject({ status: 'paid' });
    const d = await newTrace(before, ['orders:placeOrder', 'payments:charge', 'ledger:record']);
    const root = d.spans.find((x) => x.name === 'orders:placeOrder')!;
    // Like Lambda, the mesh gives every invocation an X-Ray trace header: the new trace joins it
    // (the root's parent is that X-Ray segment, not a span of ours).
    expect(d.spans.some((x) => x.spanId === root.parentSpanId)).toBe(false);
    expect(d.summary.rootName).toBe('orders:placeOrder');
    expect(new Set(d.spans.map((x) => x.traceId)).size).toBe(1);
  });

  it('trims an oversized baggage instead of failing the next hop, and keeps the trace whole', async () => {
    const before = await traceIds();
    const id = randomBytes(16).toString('hex');
    // fits the caller's ClientContext (3,583 bytes) but not the next hop's, which adds its own fields
    const baggage = Array.from({ length: 24 }, (_, i) => `k${i}=${'v'.repeat(90)}`).join(',');
    const custom = { traceparent: `00-${id}-${randomBytes(8).toString('hex')}-01`, tracestate: TRACESTATE, baggage };
    expect(Buffer.from(JSON.stringify({ custom })).toString('base64').length).toBeLessThanOrEqual(3583);
    const out = await placeOrder(1_000, custom);
    expect(out).toMatchObject({ status: 'paid' });
    const d = await newTrace(before, ['orders:placeOrder', 'payments:charge', 'ledger:record']);
    expect(d.summary.traceId).toBe(id);
    const call = d.spans.find((x) => x.name === 'invoke payments:charge')!;
    const charge = d.spans.find((x) => x.name === 'payments:charge')!;
    expect(charge.parentSpanId).toBe(call.spanId);
    expect(charge.traceState).toBe(TRACESTATE);
  });

  it('joins the X-Ray trace of an X-Amzn-Trace-Id header when there is no traceparent', async () => {
    const before = await traceIds();
    const epoch = Math.floor(Date.now() / 1000)
      .toString(16)
      .padStart(8, '0');
    const unique = randomBytes(12).toString('hex');
    const parent = randomBytes(8).toString('hex');
    const out = await placeOrder(1_000, undefined, `Root=1-${epoch}-${unique};Parent=${parent};Sampled=1`);
    expect(out).toMatchObject({ status: 'paid' });
    const d = await newTrace(before, ['orders:placeOrder', 'payments:charge']);
    expect(d.summary.traceId).toBe(`${epoch}${unique}`);
    expect(d.spans.find((x) => x.name === 'orders:placeOrder')?.parentSpanId).toBe(parent);
  });
});

describe('Trace viewer in headless Chromium', () => {
  it.skipIf(process.env['SVC_MESH_SKIP_BROWSER'] === '1')(
    'finds the trace, shows spans from 4 services in the waterfall, and the error of the failed span',
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${mesh.endpoint}/`);
        await page.waitForSelector('body[data-ready]');
        // find the trace with the search box, as a person would
        await page.fill('input[name="q"]', traceId.slice(0, 12));
        const row = page.locator(`[data-testid="trace-row"][data-trace-id="${traceId}"]`);
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="trace-row"]').length === 1);
        expect(await row.count()).toBe(1);
        expect(await row.textContent()).toContain('orders:placeOrder');
        await row.click();
        await page.waitForSelector('[data-testid="waterfall"] [data-testid="span-row"]');
        // the header names the root cause with its code, once
        const cause = (await page.locator('[data-testid="trace-cause"]').textContent()) ?? '';
        expect(cause).toContain('payments:charge: CardDeclinedError [CARD_DECLINED]: card declined');
        const services = await page
          .locator('[data-testid="span-row"]')
          .evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-service')))]);
        expect(services).toEqual(expect.arrayContaining(['orders', 'payments', 'ledger', 'alerts']));
        expect(await page.locator('[data-testid="span-row"][data-hop="async"]').count()).toBeGreaterThanOrEqual(2);
        expect(await page.locator('[data-testid="span-row"][data-hop="event"]').count()).toBeGreaterThanOrEqual(2);
        // click the failed span: the detail shows the error
        const charge = detail.spans.find((s) => s.name === 'payments:charge')!;
        await page.click(`[data-testid="span-row"][data-span-id="${charge.spanId}"]`);
        const err = page.locator('[data-testid="span-detail"] [data-testid="span-error"]');
        await err.waitFor();
        const text = (await err.textContent()) ?? '';
        expect(text).toContain('CardDeclinedError');
        expect(text).toContain('card declined: 250000 cents is over the 100000 limit');
        expect(new URL(page.url()).pathname).toBe(`/traces/${traceId}`);
        // the subscriber's span shows the lifecycle event it received
        const consumer = detail.spans.find(isConsumer)!;
        await page.click(`[data-testid="span-row"][data-span-id="${consumer.spanId}"]`);
        const payloads = page.locator(
          `[data-testid="span-detail"][data-span-id="${consumer.spanId}"] [data-testid="span-payloads"]`,
        );
        await payloads.waitFor();
        expect(await payloads.textContent()).toContain('svc-mesh.function.failed');
        await page.click(`[data-testid="span-row"][data-span-id="${charge.spanId}"]`);
        await err.waitFor();
        mkdirSync(RESULTS, { recursive: true });
        await page.screenshot({ path: `${RESULTS}trace-viewer.png`, fullPage: false });
        // the service map page draws all four services
        await page.click('a[data-tab="map"]');
        await page.waitForSelector('[data-testid="service-map"]');
        const nodes = await page
          .locator('[data-testid="service-map"] .map-node')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-service')));
        expect(nodes).toEqual(expect.arrayContaining(['orders', 'payments', 'ledger', 'alerts']));
        await page.screenshot({ path: `${RESULTS}service-map.png` });
        // live: with the list open, a new call shows up without a reload
        await page.click('a[data-tab="traces"]');
        await page.fill('input[name="q"]', '');
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="trace-row"]').length > 1);
        await page.waitForSelector('#live.on');
        const liveId = randomBytes(16).toString('hex');
        await placeOrder(1_000, { traceparent: `00-${liveId}-${randomBytes(8).toString('hex')}-01` });
        await page.waitForSelector(`[data-testid="trace-row"][data-trace-id="${liveId}"]`, { timeout: 30_000 });
        // the landing page sums up root operations
        const ops = page.locator('[data-testid="operations"]');
        await ops.waitFor();
        expect(await ops.textContent()).toContain('orders:placeOrder');
        // an unknown trace id: a 404 page that says so
        const resp = await page.goto(`${mesh.endpoint}/traces/${'0'.repeat(31)}1`);
        expect(resp?.status()).toBe(404);
        await page.waitForSelector('[data-testid="not-found"]');
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});

describe('Trace service through the mesh', () => {
  it('answers malformed OTLP with 400 and a message, and the mesh keeps serving', async () => {
    for (const [type, body] of [
      ['application/json', '{"resourceSpans": [{"scopeSpans": [{"spans": 7}]}]}'],
      ['application/json', '\u0000not json'],
      ['application/x-protobuf', 'garbage that is not protobuf'],
    ] as const) {
      const res = await fetch(`${mesh.endpoint}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      expect(res.status, body).toBe(400);
      if (type === 'application/json') {
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('OTLP_INVALID_BODY');
      } else await res.arrayBuffer();
    }
    expect(await placeOrder(1_000)).toMatchObject({ status: 'paid' });
    expect((await fetch(`${mesh.endpoint}/api/traces?limit=1`)).status).toBe(200);
  });

  it('answers a CORS preflight for /v1/traces and clears the store on DELETE /api/traces', async () => {
    const pre = await fetch(`${mesh.endpoint}/v1/traces`, { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(((await (await fetch(`${mesh.endpoint}/api/traces`)).json()) as { total: number }).total).toBeGreaterThan(0);
    const del = await fetch(`${mesh.endpoint}/api/traces`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(((await (await fetch(`${mesh.endpoint}/api/traces`)).json()) as { total: number }).total).toBe(0);
  });
});
