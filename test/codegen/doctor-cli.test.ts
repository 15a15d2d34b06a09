/**
 * `svc-codegen doctor` bad input: usage errors (exit 2) and an endpoint nobody answers on (exit 1,
 * a message naming it, never an internal error). The findings themselves are tested against moto
 * (test/deploy/serverless-v3.moto.test.ts) and the local mesh (test/integration/local/sns-readback.test.ts).
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCLI, runCLI } from '../../codegen/cli.js';

const SHOP = join(import.meta.dirname, '../../examples/shop');

async function cli(args: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const sink = new Writable({
    write(c, _e, cb) {
      text += c.toString();
      cb();
    },
  });
  const code = await runCLI(args, { stdout: sink, stderr: sink });
  return { code, text };
}

/** A port with nothing listening (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('svc-codegen doctor: command line', () => {
  it('parses the doctor options', () => {
    const p = parseCLI(['doctor', 'services', '--stage', 'alice', '--endpoint', 'http://127.0.0.1:4010', '--repair']);
    expect(p.command).toBe('doctor');
    expect(p.options).toMatchObject({ stage: 'alice', endpoint: 'http://127.0.0.1:4010', repair: true });
    expect(p.options.json).toBeUndefined();
  });

  it('refuses an endpoint that is not an http(s) URL (exit 2)', async () => {
    const r = await cli(['doctor', SHOP, '--endpoint', '127.0.0.1:4010']);
    expect(r.code).toBe(2);
    expect(r.text).toContain("--endpoint must be an http(s) URL, got '127.0.0.1:4010'");
  });

  it('names an endpoint nobody answers on (exit 1), without a stack trace', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await cli(['doctor', SHOP, '--stage', 'dev', '--no-types', '--endpoint', url]);
    expect(r.code, r.text).toBe(1);
    expect(r.text).toContain(`svc-codegen doctor: could not reach ${url} (ECONNREFUSED)`);
    expect(r.text).not.toMatch(/internal error|\n\s+at /);
  });
});
