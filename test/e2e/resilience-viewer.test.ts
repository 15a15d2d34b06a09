/**
 * examples/resilience on the local mesh with tracing and an injected fault, seen in real headless
 * Chromium: the map page lists the edge's policy and its breaker's live state (open, with the
 * failures that tripped it), the SVG edge says the breaker is open, and the fault counts show.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSdk } from 'svc-mesh';
import { startLocalMesh } from '../../tools/local/index.js';
import { launchChromium } from '../helpers/chromium.js';

const example = fileURLToPath(new URL('../../examples/resilience', import.meta.url));

describe('Viewer: edge policies and breaker states', () => {
  it.skipIf(process.env['SVC_MESH_SKIP_BROWSER'] === '1')(
    'shows the policy and the live breaker state of checkout:pay → payments:charge',
    { timeout: 120_000 },
    async () => {
      await using mesh = await startLocalMesh({
        paths: [example],
        port: 0,
        quiet: true,
        maxWorkersPerFunction: 1,
        faults: ['payments:charge=error'],
      });
      const sdk = createSdk({
        stage: 'dev',
        region: mesh.region,
        endpoint: mesh.endpoint,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        env: {},
      });
      const pay = () => sdk.invoke('checkout:pay', { orderId: 'o', amountCents: 1 }) as Promise<{ breaker: string }>;
      expect((await pay()).breaker).toBe('closed');
      expect((await pay()).breaker).toBe('open');
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        // the spans reach the collector a little after the call (batch export): wait for them
        const row = '[data-testid="policy-table"] tr[data-edge="checkout:pay>payments:charge"]';
        for (let i = 0; i < 40; i++) {
          await page.goto(`${mesh.endpoint}/map`);
          await page.waitForSelector('body[data-ready]');
          if ((await page.locator(`${row} [data-state="open"]`).count()) === 1) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        const cells = await page.locator(`${row} td`).allTextContents();
        expect(cells).toEqual([
          'checkout:pay',
          'payments:charge',
          'timeout 3s · retries 0 · breaker 2/1s · fallback event',
          'open',
          '2',
          'REMOTE_FUNCTION_ERROR',
        ]);
        expect(await page.locator('[data-breaker="open"]').count()).toBe(1);
        expect(await page.locator('[data-testid="faults"]').textContent()).toContain('payments:charge=error (2/2)');
        // the injected fault is marked as such in the waterfall of the call's trace
        const traces = (await (await fetch(`${mesh.endpoint}/api/traces?limit=50`)).json()) as {
          traces: { traceId: string }[];
        };
        let marked = 0;
        for (const t of traces.traces) {
          await page.goto(`${mesh.endpoint}/traces/${t.traceId}`);
          await page.waitForSelector('body[data-ready] [data-testid="span-row"]');
          marked += await page.locator('[data-testid="injected-fault"]').count();
          if (marked > 0) break;
        }
        expect(marked).toBe(1);
        expect(await page.locator('[data-testid="injected-fault"]').textContent()).toBe('injected error');
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
