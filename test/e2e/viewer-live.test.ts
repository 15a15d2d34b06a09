/**
 * The viewer against a standalone trace service (as `svc-mesh traces --serve` runs it), in real
 * headless Chromium: a child that arrives before its parent renders at once, marked; when the
 * parent arrives, the open trace updates live and the child moves under it.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { hex, postOtlp, scenarioSpans } from '../unit/traces/otlpFixtures.js';
import { startTraceServer } from '../unit/traces/traceServer.js';

/** The page's DOM, for predicates that run in the browser (a function, not a string: the viewer's CSP forbids eval). */
declare const document: { querySelectorAll(s: string): { length: number }; querySelector(s: string): unknown };

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));

describe('Trace viewer: spans out of order, live', () => {
  it.skipIf(process.env['SVC_MESH_SKIP_BROWSER'] === '1')(
    'renders a child before its parent, then re-parents it live when the parent arrives',
    async () => {
      await using srv = await startTraceServer();
      const sc = scenarioSpans();
      const post = (spans: typeof sc.spans) => postOtlp(srv.url, sc.traceId, spans);
      // everything but payments:charge: its children (publish, invoke ledger:record) have no parent yet
      const early = sc.spans.filter((s) => s.spanId !== sc.ids['charge']);
      expect((await post(early)).status).toBe(200);

      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${srv.url}/traces/${sc.traceId}`);
        await page.waitForSelector('body[data-ready] #live.on');
        const row = (id: string | undefined) => page.locator(`[data-testid="span-row"][data-span-id="${id}"]`);
        expect(await page.locator('[data-testid="span-row"]').count()).toBe(6);
        // orphans render, at the top level, marked as waiting for their parent
        expect(await row(sc.ids['invokeRecord']).locator('.wf-orphan').count()).toBe(1);
        expect(await row(sc.ids['invokeRecord']).locator('.wf-indent').getAttribute('class')).toContain('d0');

        expect((await post(sc.spans.filter((s) => s.spanId === sc.ids['charge']))).status).toBe(200);
        // the open trace refreshes by itself: 7 rows, the child now three levels down, no marker
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="span-row"]').length === 7);
        await row(sc.ids['invokeRecord']).locator('.wf-indent.d3').waitFor();
        expect(await row(sc.ids['invokeRecord']).locator('.wf-orphan').count()).toBe(0);
        // keyboard: ↓ from nothing selects the first span, ↓ again the next; Esc closes
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('ArrowDown');
        await page.locator(`[data-testid="span-detail"][data-span-id="${sc.ids['invokeCharge']}"]`).waitFor();
        await page.keyboard.press('Escape');
        await page.waitForFunction(() => !document.querySelector('[data-testid="span-detail"]'));
        // zoom: drag over the last 40% of the time axis; spans entirely before it lose their bars
        const box = (await page.locator('[data-testid="wf-axis"]').boundingBox())!;
        const barsBefore = await page.locator('.wf-bar').count();
        await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width * 0.99, box.y + box.height / 2, { steps: 4 });
        await page.mouse.up();
        await page.locator('[data-testid="zoom-reset"]').waitFor();
        expect(await page.locator('.wf-bar').count()).toBeLessThan(barsBefore);
        await page.click('[data-testid="zoom-reset"]');
        await page.waitForFunction((n) => document.querySelectorAll('.wf-bar').length === n, barsBefore);
        // collapse payments:charge: its four descendants disappear, with a "+4" badge
        await row(sc.ids['charge']).locator('.wf-caret').click();
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="span-row"]').length === 3);
        expect(await row(sc.ids['charge']).textContent()).toContain('+4');
        mkdirSync(RESULTS, { recursive: true });
        await page.screenshot({ path: `${RESULTS}trace-viewer-collapsed.png` });
        // an id that is not a trace id: the API answers 404 too
        expect((await fetch(`${srv.url}/api/traces/${hex(8)}`)).status).toBe(404);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
