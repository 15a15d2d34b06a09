/**
 * A running mesh follows its serverless.yml files: a valid edit is applied (and said), calls in
 * flight finish, an invalid edit keeps the running graph and prints the diagnostics with positions.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import { FIXTURES, clients, decode, until } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string;
let mesh: LocalMesh;
const lines: string[] = [];
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  mkdirSync(join(ROOT, '.svc-mesh'), { recursive: true });
  dir = mkdtempSync(join(ROOT, '.svc-mesh', 'reload-config-'));
  for (const s of ['pricing', 'stock']) cpSync(join(FIXTURES, 'graph', s), join(dir, s), { recursive: true });
  mesh = await startLocalMesh({ paths: [dir], quiet: true, tracing: false, log: (l) => lines.push(l) });
  c = clients(mesh.endpoint);
}, 60_000);
afterAll(async () => {
  await mesh?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (name: string, payload: unknown) => {
  const out = await c.lambda.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(payload) }));
  return { error: out.FunctionError, body: decode(out.Payload) as Record<string, unknown> };
};
const edit = (file: string, change: (yml: string) => string) => writeFileSync(file, change(readFileSync(file, 'utf8')));
const waitForLine = async (re: RegExp, from: number) => {
  await until(() => lines.slice(from).some((l) => re.test(l)), 30_000);
  return lines.slice(from).find((l) => re.test(l))!;
};

describe('Local mesh: serverless.yml edits', () => {
  it('applies a new `calling:` entry and a new function, and says what changed', async () => {
    const pricingYml = join(dir, 'pricing', 'serverless.yml');
    // Prepare: pricing:quote may no longer call stock:reserve
    let mark = lines.length;
    edit(pricingYml, (y) => y.replace('    calling:\n      - stock:reserve\n', ''));
    expect(await waitForLine(/applied/, mark)).toMatch(/~ pricing:quote@dev: environment, calling\/IAM/);
    const denied = await call('pricing-dev-quote', { sku: 'a' });
    expect(denied.error).toBe('Unhandled');
    expect(JSON.stringify(denied.body)).toMatch(/UNDECLARED_CALL|not declared/i);
    // Act: follow the error's own fix (declare the call again), and add a function
    mark = lines.length;
    edit(
      pricingYml,
      (y) =>
        `${y.trimEnd()}\n    calling:\n      - stock:reserve\n  again:\n    handler: src/handlers.quote\n    calling:\n      - stock:reserve\n`,
    );
    const applied = await waitForLine(/applied/, mark);
    expect(applied).toContain('+ pricing:again@dev (pricing-dev-again)');
    // Assess: no restart needed
    expect((await call('pricing-dev-quote', { sku: 'b' })).body).toMatchObject({ price: 42 });
    expect((await call('pricing-dev-again', { sku: 'c' })).body).toMatchObject({ price: 42 });
    expect(mesh.fn('pricing:again')).toBeDefined();
  }, 60_000);

  it('keeps the running graph and prints file:line:col when the edit is invalid', async () => {
    const stockYml = join(dir, 'stock', 'serverless.yml');
    const before = readFileSync(stockYml, 'utf8');
    const mark = lines.length;
    edit(stockYml, (y) =>
      y.replace(
        '  restock:\n    handler: src/handlers.restock\n',
        '  restock:\n    handler: src/handlers.restock\n    calling:\n      - nowhere:atAll\n',
      ),
    );
    const line = await waitForLine(/not valid/, mark);
    expect(line).toMatch(/the running services are unchanged/);
    expect(line).toMatch(/stock\/serverless\.yml:\d+:\d+: error:/);
    expect((await call('stock-dev-reserve', { sku: 'd' })).body).toMatchObject({ reserved: true });
    writeFileSync(stockYml, before);
    await waitForLine(/serverless\.yml changed; (applied|the services are the same)/, mark);
  }, 60_000);

  it('removes a function deleted from serverless.yml', async () => {
    const pricingYml = join(dir, 'pricing', 'serverless.yml');
    const mark = lines.length;
    edit(pricingYml, (y) => y.replace(/ {2}again:\n( {4}.*\n)+/, ''));
    expect(await waitForLine(/applied/, mark)).toContain('- pricing:again@dev');
    await expect(call('pricing-dev-again', {})).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  }, 60_000);
});
