/**
 * The CDK declarations reader (codegen/cdk/declarations.ts) also reads hand-edited svc-mesh.json:
 * any input gives diagnostics, never an exception, and a well-formed declaration is modelled
 * exactly as written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servicesFromDeclarations } from '../../codegen/cdk/declarations.js';
import { readManifest } from '../../codegen/cdk/manifest.js';

const CTX = {
  stage: 'dev',
  stages: ['dev', 'prod'],
  region: 'us-east-1',
  dir: '/app/cdk.out',
  file: '/app/cdk.out/svc-mesh.json',
};
const at = (declaration: unknown, i = 0) => ({
  declaration,
  path: `Stack/Fn${i}`,
  loc: { file: '/app/lib/stack.ts', line: 10 + i, col: 3 },
});

const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,10}$/);
const target = fc.tuple(name, name).map(([s, f]) => `${s}:${f}`);

describe('servicesFromDeclarations', () => {
  it('never throws on any input; every problem is an error naming the construct path', () => {
    fc.assert(
      fc.property(fc.array(fc.anything(), { maxLength: 4 }), (decls) => {
        const r = servicesFromDeclarations(
          decls.map((d, i) => at(d, i)),
          CTX,
        );
        for (const d of r.diagnostics) expect(d.message).toMatch(/^Stack\/Fn\d+: /);
        // Nothing malformed reaches the model.
        for (const s of r.services) for (const f of s.functions) expect(f.physicalName).toBe(`${s.name}-dev-${f.key}`);
      }),
      { numRuns: 300 },
    );
  });

  it('models a well-formed declaration exactly as written', () => {
    fc.assert(
      fc.property(
        name,
        name,
        fc.uniqueArray(target, { maxLength: 5 }),
        fc.boolean(),
        fc.uniqueArray(fc.tuple(name, name, fc.constantFrom('start', 'success', 'failed')), {
          maxLength: 3,
          selector: (t) => t.join(' '),
        }),
        (service, key, calling, subscribable, subs) => {
          const r = servicesFromDeclarations(
            [
              at({
                service,
                name: key,
                calling,
                subscribable,
                events: subs.map(([s, n, type]) => ({ function: { service: s, name: n, type } })),
              }),
            ],
            CTX,
          );
          expect(r.diagnostics).toEqual([]);
          const f = r.services[0]!.functions[0]!;
          expect(f.calling.map((t) => `${t.service}:${t.function}`)).toEqual(calling);
          expect(f.subscribable).toBe(subscribable);
          expect(f.subscriptions.map((s) => [s.service, s.function, s.type])).toEqual(subs);
          expect(f.physicalNames).toEqual({ dev: `${service}-dev-${key}`, prod: `${service}-prod-${key}` });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('readManifest', () => {
  it('never throws on any JSON, shaped like a manifest or not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'svc-cdk-manifest-'));
    const file = join(dir, 'svc-mesh.json');
    const manifestish = fc.record({
      svcMesh: fc.constantFrom(1, 2, '1'),
      kind: fc.constantFrom('cdk', 'x'),
      references: fc.oneof(fc.array(fc.string(), { maxLength: 2 }), fc.anything()),
      contracts: fc.oneof(fc.array(fc.string(), { maxLength: 2 }), fc.anything()),
      functions: fc.array(
        fc.oneof(
          fc.anything(),
          fc.record({
            path: fc.anything(),
            source: fc.anything(),
            declaration: fc.anything(),
            handlerFile: fc.anything(),
          }),
        ),
        { maxLength: 3 },
      ),
    });
    try {
      fc.assert(
        fc.property(fc.oneof(fc.jsonValue(), manifestish), (v) => {
          writeFileSync(file, JSON.stringify(v) ?? 'null');
          const r = readManifest(file, { stage: 'dev', stages: ['dev'], region: undefined });
          expect(Array.isArray(r.diagnostics)).toBe(true);
        }),
        { numRuns: 300 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
