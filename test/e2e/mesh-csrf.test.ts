/**
 * The local mesh against hostile web pages, in real headless Chromium (docs/security.md):
 * a page of another origin fires every request a page can send without a CORS preflight
 * (no-cors fetches, a form post, a beacon) plus preflighted ones, and nothing happens: no
 * handler runs, no subscription is made, no span is stored, nothing is cleared. A page on a
 * DNS-rebinding name reads nothing. The viewer itself keeps working, framing refused.
 */
import { SubscribeCommand, CreateTopicCommand, ListSubscriptionsCommand } from '@aws-sdk/client-sns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { type LocalMesh, startLocalMesh } from '../../tools/local/index.js';
import { CHROMIUM } from '../helpers/chromium.js';
import { clients, spec } from '../integration/local/helpers.js';

const skip = process.env['SVC_MESH_SKIP_BROWSER'] === '1';
let mesh: LocalMesh;
let attacker: Server;
let attackerUrl = '';
let browser: Browser;
let invocations = 0;
let topicArn = '';

/** The attacker's page: every request a page can make at the mesh, then `window.done`. */
function attackPage(mesh: string, topic: string): string {
  const invoke = `${mesh}/2015-03-31/functions/fx-dev-echo/invocations`;
  const subscribe = `Action=Subscribe&Version=2010-03-31&TopicArn=${encodeURIComponent(topic)}&Protocol=lambda&Endpoint=${encodeURIComponent('arn:aws:lambda:us-east-1:000000000000:function:fx-dev-echo')}`;
  const publish = `Action=Publish&Version=2010-03-31&TopicArn=${encodeURIComponent(topic)}&Message=forged`;
  const otlp = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'forged' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: '0af7651916cd43dd8448eb211c80319c',
                spanId: 'b7ad6b7169203331',
                name: 'forged',
                kind: 2,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000001000000000',
              },
            ],
          },
        ],
      },
    ],
  });
  return `<!doctype html><html><body>
<iframe name="sink" id="sink"></iframe>
<form id="f" method="POST" action="${mesh}/" target="sink" enctype="application/x-www-form-urlencoded">
  ${subscribe
    .split('&')
    .map((kv) => {
      const [k, v] = kv.split('=');
      return `<input type="hidden" name="${k}" value="${decodeURIComponent(v ?? '').replace(/"/g, '&quot;')}">`;
    })
    .join('')}
</form>
<script>
const results = [];
const note = (what, p) => p.then((r) => results.push([what, r && r.type, r && r.status]), (e) => results.push([what, 'error', String(e)]));
(async () => {
  await Promise.all([
    note('invoke text/plain', fetch(${JSON.stringify(invoke)}, { method: 'POST', mode: 'no-cors', body: '{"forged":1}' })),
    note('invoke form', fetch(${JSON.stringify(invoke)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '{"forged":2}' })),
    note('invoke event', fetch(${JSON.stringify(invoke)}, { method: 'POST', mode: 'no-cors', headers: { 'x-amz-invocation-type': 'Event' }, body: '{"forged":3}' })),
    note('sns subscribe', fetch(${JSON.stringify(`${mesh}/`)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: ${JSON.stringify(subscribe)} })),
    note('sns publish', fetch(${JSON.stringify(`${mesh}/`)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: ${JSON.stringify(publish)} })),
    note('otlp', fetch(${JSON.stringify(`${mesh}/v1/traces`)}, { method: 'POST', mode: 'no-cors', body: ${JSON.stringify(otlp)} })),
    note('otlp cors', fetch(${JSON.stringify(`${mesh}/v1/traces`)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(otlp)} })),
    note('signed cors', fetch(${JSON.stringify(invoke)}, { method: 'POST', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00' }, body: '{"forged":4}' })),
    note('clear', fetch(${JSON.stringify(`${mesh}/api/traces`)}, { method: 'DELETE' })),
    note('read', fetch(${JSON.stringify(`${mesh}/_mesh/functions`)}).then((r) => r.text())),
    Promise.resolve(results.push(['beacon', navigator.sendBeacon(${JSON.stringify(invoke)}, '{"forged":5}')])),
  ]);
  const frame = document.getElementById('sink');
  await new Promise((r) => { frame.onload = r; document.getElementById('f').submit(); });
  results.push(['form', 'submitted']);
  window.results = results;
  window.done = true;
})();
</script></body></html>`;
}

beforeAll(async () => {
  if (skip) return;
  mesh = await startLocalMesh({ quiet: true, functions: [spec('echo', 'echo.ts', 'handler')] });
  mesh.onInvoke(() => invocations++);
  const { sns } = clients(mesh.endpoint);
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'orders-events' }))).TopicArn ?? '';
  attacker = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(req.url === '/' ? attackPage(mesh.endpoint, topicArn) : '');
  });
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  // localhost vs 127.0.0.1: another origin, and another site
  attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      // a DNS-rebinding name that now resolves to the mesh
      '--host-resolver-rules=MAP rebind.test 127.0.0.1',
      // the test is about the mesh's own checks, not the browser's private-network blocking
      '--disable-features=PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks',
    ],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  attacker?.close();
  await mesh?.stop();
});

describe.skipIf(skip)('Local mesh in a browser', () => {
  it('a page of another origin cannot run a handler, subscribe, publish, forge spans or clear traces', async () => {
    const { sns } = clients(mesh.endpoint);
    // a span the attacker would like to clear
    await fetch(`${mesh.endpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'kept' } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: '1af7651916cd43dd8448eb211c80319c',
                    spanId: 'c7ad6b7169203331',
                    name: 'kept',
                    kind: 2,
                    startTimeUnixNano: '1700000000000000000',
                    endTimeUnixNano: '1700000001000000000',
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    const before = (await (await fetch(`${mesh.endpoint}/api/traces`)).json()) as { traces: unknown[] };
    expect(before.traces.length).toBe(1);
    const page = await browser.newPage();
    await page.goto(attackerUrl);
    await page.waitForFunction('window.done === true', undefined, { timeout: 20_000 });
    const results = (await page.evaluate('window.results')) as unknown[][];
    // every request went out (no-cors ones resolve opaquely; preflighted ones fail)
    expect(results.length).toBe(12);
    expect(results.find((r) => r[0] === 'read')?.[1]).toBe('error');
    await mesh.idle();
    expect(invocations).toBe(0);
    const subs = await sns.send(new ListSubscriptionsCommand({}));
    expect(subs.Subscriptions ?? []).toEqual([]);
    const after = (await (await fetch(`${mesh.endpoint}/api/traces`)).json()) as {
      traces: { rootService?: string; services?: string[] }[];
    };
    expect(after.traces.length).toBe(1);
    expect(JSON.stringify(after)).not.toContain('forged');
    await page.close();
  }, 60_000);

  it('a page on a DNS-rebinding name reads nothing from the mesh', async () => {
    const page = await browser.newPage();
    const origin = `http://rebind.test:${mesh.port}`;
    // The first DNS answer pointed at the attacker (the page); now the name resolves to the mesh.
    await page.route(`${origin}/`, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: `<script>
          window.got = Promise.all(['/_mesh/functions', '/api/traces', '/_mesh/dead-letters', '/index.html'].map((p) =>
            fetch(p).then((r) => r.status, (e) => String(e))));
        </script>`,
      }),
    );
    await page.goto(`${origin}/`);
    expect(await page.evaluate('window.got')).toEqual([403, 403, 403, 403]);
    await page.close();
  }, 60_000);

  it('the viewer works from its own origin, with a CSP and no framing', async () => {
    const { sns } = clients(mesh.endpoint);
    await sns
      .send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'lambda', Endpoint: 'fx-dev-echo' }))
      .catch(() => {});
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused/i.test(m.text())) violations.push(m.text());
    });
    const res = await page.goto(`${mesh.endpoint}/`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    await page.waitForSelector('body[data-ready]');
    page.on('dialog', (d) => void d.accept());
    await page.click('#clear');
    // (a function, not a string: the viewer's CSP forbids eval)
    await page.waitForFunction(
      () =>
        fetch('/api/traces')
          .then((r) => r.json() as Promise<{ traces: unknown[] }>)
          .then((b) => b.traces.length === 0),
      undefined,
      { timeout: 10_000 },
    );
    expect(violations).toEqual([]);
    // clickjacking: a page of another origin cannot frame it
    const framer = await browser.newPage();
    await framer.goto(attackerUrl);
    await framer.setContent(`<iframe id="v" src="${mesh.endpoint}/"></iframe>`, { waitUntil: 'load' });
    const framed = framer.frames().find((f) => f.url().startsWith(mesh.endpoint));
    const ready =
      framed === undefined ? false : await framed.evaluate('!!document.body?.dataset.ready').catch(() => false);
    expect(ready).toBe(false);
    await page.close();
    await framer.close();
  }, 60_000);
});
