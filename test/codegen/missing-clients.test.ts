/**
 * svc-codegen and svc-mesh dev (both through loadProject) warn before the first call when a
 * service uses a feature whose AWS client its handlers cannot load. The services live in a
 * temporary folder outside this checkout, so Node's resolution finds only what the test installs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../codegen/index.js';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function project(): string {
  dir = mkdtempSync(join(os.tmpdir(), 'svc-mesh-clients-'));
  const svc = (name: string, yml: string) => {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'serverless.yml'), yml);
    writeFileSync(join(dir, name, 'handler.js'), 'export const h = async () => ({});\n');
  };
  svc(
    'users',
    'service: users\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n  get:\n    handler: handler.h\n',
  );
  svc(
    'orders',
    'service: orders\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n  place:\n    handler: handler.h\n    subscribable: true\n    calling:\n      - users:get\n',
  );
  return dir;
}

function install(root: string, pkg: string) {
  mkdirSync(join(root, 'node_modules', pkg), { recursive: true });
  writeFileSync(join(root, 'node_modules', pkg, 'package.json'), JSON.stringify({ name: pkg, version: '3.0.0' }));
}

const warnings = async (root: string, discovery?: ('routes' | 'ssm' | 'exports')[]) =>
  (await loadProject([root], { stage: 'dev', ...(discovery ? { discovery } : {}) })).diagnostics
    .filter((d) => d.severity === 'warning')
    .map((d) => d.message);

describe('codegen: a feature whose AWS client is not installed', () => {
  it('warns at the service, naming the install command, for each missing client', async () => {
    const root = project();
    const w = await warnings(root);
    expect(w.filter((m) => m.startsWith("service 'orders'"))).toHaveLength(3);
    for (const pkg of ['@aws-sdk/client-lambda', '@aws-sdk/client-ssm', '@aws-sdk/client-sns'])
      expect(
        w.some((m) => m.includes(`Fix: npm install ${pkg}`)),
        pkg,
      ).toBe(true);
    // users calls nobody and publishes nothing: it needs no client.
    expect(w.some((m) => m.startsWith("service 'users'"))).toBe(false);
  });

  it('says nothing once the clients are installed, and asks for CloudFormation only with exports discovery', async () => {
    const root = project();
    for (const pkg of ['@aws-sdk/client-lambda', '@aws-sdk/client-ssm', '@aws-sdk/client-sns']) install(root, pkg);
    expect(await warnings(root)).toEqual([]);
    const w = await warnings(root, ['routes', 'ssm', 'exports']);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('npm install @aws-sdk/client-cloudformation');
  });
});
