/**
 * Terminal escape injection (issue 12 item 9): whatever the CLI prints from untrusted data (span
 * names, services, error texts, function output) carries no control character to the terminal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatWaterfall, run } from '../../tools/cli/commands/traces.js';
import { terminalSafe } from '../../tools/local/terminal.js';
import { postOtlp, scenarioSpans } from './traces/otlpFixtures.js';
import { startTraceServer } from './traces/traceServer.js';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const OSC_TITLE = '\u001b]0;pwned\u0007';
const OSC_52 = '\u001b]52;c;ZWNobyBvd25lZA==\u0007';
const CLEAR = '\u001b[2J\u001b[H';
const C1_CSI = '\u009b31m';

describe('Function: terminalSafe', () => {
  it('escapes C0, C1, DEL and bidi overrides visibly', () => {
    expect(terminalSafe(`a${OSC_TITLE}b`)).toBe('a\\x1b]0;pwned\\x07b');
    expect(terminalSafe(`${C1_CSI}\u007f\u202e`)).toBe('\\x9b31m\\x7f\\u202e');
    expect(terminalSafe('one\ntwo\tx')).toBe('one\\ntwo\\tx');
    expect(terminalSafe('one\ntwo', { keepNewlines: true })).toBe('one\ntwo');
  });

  it('keeps a function’s SGR colours when asked, and nothing else', () => {
    expect(terminalSafe(`\u001b[32mok\u001b[0m ${OSC_52}`, { keepColors: true })).toBe(
      '\u001b[32mok\u001b[0m \\x1b]52;c;ZWNobyBvd25lZA==\\x07',
    );
  });

  it('never lets a control character through, for any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), fc.boolean(), (s, keepNewlines) => {
        expect(terminalSafe(s, { keepNewlines })).not.toMatch(CONTROL);
        if (!keepNewlines) expect(terminalSafe(s)).not.toMatch(/[\n\r\t]/);
      }),
      { numRuns: 100 },
    );
  });
});

describe('Command: svc-mesh traces with hostile spans', () => {
  it('prints span names, services and errors escaped, in the list and the waterfall', async () => {
    await using srv = await startTraceServer();
    const sc = scenarioSpans();
    const spans = sc.spans.map((s, i) =>
      i === 0
        ? { ...s, name: `${OSC_TITLE}orders${CLEAR}`, service: `orders${C1_CSI}` }
        : s.error
          ? { ...s, error: { ...s.error, message: `declined${OSC_52}` } }
          : s,
    );
    expect((await postOtlp(srv.url, sc.traceId, spans)).status).toBe(200);
    let out = '';
    const opts = { color: false, width: 140, endpoint: srv.url, out: (t: string) => (out += t) };
    await run(undefined, { ...opts, last: true });
    await run(undefined, opts);
    expect(out).toContain('\\x1b]0;pwned\\x07orders');
    expect(out).toContain('declined\\x1b]52;c;');
    expect(out).not.toMatch(CONTROL);
    const store = srv.traces.store;
    expect(formatWaterfall(store.get(sc.traceId)!, { color: false })).not.toMatch(CONTROL);
  });
});
