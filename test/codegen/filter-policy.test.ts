/**
 * Subscription filter policies (issue 12 items 8 and 12): keys that are Object.prototype member
 * names are ordinary names to SNS, so codegen keeps them as own keys all the way to the seed plan
 * and the CloudFormation FilterPolicy; and a policy over SNS's limits (5 keys, one of them
 * svc-mesh's `svcmesh_type`; 150 combinations, `$or` alternatives added) is refused with the
 * position of the attribute at fault.
 */
import { describe, expect, it } from 'vitest';
import { type Diagnostic, generate, isCodegenError, loadProject } from '../../codegen/index.js';
import { handlers, service, tempProject } from './helpers/project.js';

const publisher = service('a', '  f:\n    handler: h.f\n    subscribable: true\n');

/** A subscriber `b:g` of `a:f` success events with `policy` (YAML lines, indented under filterPolicy). */
function project(policy: string, type = 'success') {
  return tempProject({
    'a/serverless.yml': publisher,
    'a/h.ts': handlers('f'),
    'b/serverless.yml': service(
      'b',
      `  g:\n    handler: h.g\n    events:\n      - function:\n          service: a\n          name: f\n          type: ${type}\n          filterPolicy:\n${policy}`,
    ),
    'b/h.ts': handlers('g'),
  });
}

async function errors(policy: string): Promise<[number, number, string][]> {
  using p = project(policy);
  const err = await loadProject([p.dir], { stage: 'dev' }).catch((e: unknown) => e);
  if (!isCodegenError(err)) throw new Error(`expected a CodegenError for:\n${policy}`);
  return err.diagnostics.filter((d: Diagnostic) => d.severity === 'error').map((d) => [d.line, d.col, d.message]);
}

/** Line of the subscriber's filterPolicy key in the file `project` writes. */
const POLICY_LINE = 13;
const at = (k: number) => POLICY_LINE + 1 + k;
const W = 'functions.g.events[0].function.filterPolicy';

describe('Filter-policy keys that are Object.prototype member names', () => {
  it('are ordinary own keys, in the model, the seed plan and the CloudFormation FilterPolicy', async () => {
    using p = project(
      '            toString: [x]\n            constructor: [y]\n            __proto__: [z]\n            hasOwnProperty: [w]\n',
    );
    const proj = await loadProject([p.dir], { stage: 'dev' });
    const sub = proj.services.find((s) => s.name === 'b')!.functions[0]!.subscriptions[0]!;
    expect(Object.getPrototypeOf(sub.filterPolicy)).toBe(Object.prototype);
    expect(Object.keys(sub.filterPolicy!)).toEqual(['toString', 'constructor', '__proto__', 'hasOwnProperty']);
    const expected = {
      svcmesh_type: ['success'],
      toString: ['x'],
      constructor: ['y'],
      ['__proto__']: ['z'],
      hasOwnProperty: ['w'],
    };
    const g = generate(proj);
    expect(JSON.stringify(g.seed.subscriptions[0]!.filterPolicy)).toBe(
      '{"svcmesh_type":["success"],"toString":["x"],"constructor":["y"],"__proto__":["z"],"hasOwnProperty":["w"]}',
    );
    const cfn = JSON.stringify(g.cloudformation['b']);
    expect(cfn).toContain(`"FilterPolicy":${JSON.stringify(JSON.parse(JSON.stringify(expected)))}`);
    expect(cfn).toContain('"__proto__":["z"]');
  });

  it('a ${self:} path through Object.prototype member names finds nothing (own properties only)', async () => {
    using p = tempProject({
      'a/serverless.yml':
        'custom:\n  base: ${self:custom.real}\n  real:\n    x: 1\n' +
        service('a', "  f:\n    handler: h.f\n    name: ${self:custom.base.toString, 'a-fallback-f'}\n"),
      'a/h.ts': handlers('f'),
    });
    const proj = await loadProject([p.dir], { stage: 'dev' });
    expect(proj.services[0]!.functions[0]!.physicalName).toBe('a-fallback-f');
  });
});

describe("Filter policies over SNS's limits are refused, at the attribute at fault", () => {
  it('4 keys of yours are fine (5 with svcmesh_type)', async () => {
    using p = project('            k1: [a]\n            k2: [a]\n            k3: [a]\n            k4: [a]\n');
    await loadProject([p.dir], { stage: 'dev' });
  });

  it('a 5th key is refused at that key', async () => {
    expect(
      await errors(
        '            k1: [a]\n            k2: [a]\n            k3: [a]\n            k4: [a]\n            k5: [a]\n',
      ),
    ).toEqual([
      [
        at(4),
        13,
        `${W} has 5 keys ("k1", "k2", "k3", "k4", "k5"); SNS allows 5 per policy and svc-mesh uses one (svcmesh_type), so at most 4 are yours`,
      ],
    ]);
  });

  it('150 combinations are fine, 152 are refused', async () => {
    const values = (n: number) => `[${Array.from({ length: n }, (_, i) => `v${i}`).join(', ')}]`;
    using ok = project(`            a: [x, y]\n            b: ${values(75)}\n`);
    await loadProject([ok.dir], { stage: 'dev' });
    expect(await errors(`            a: [x, y]\n            b: ${values(76)}\n`)).toEqual([
      [
        POLICY_LINE,
        11,
        `${W} allows 152 combinations of values (the product of the list lengths, alternatives of '$or' added); SNS allows at most 150: split it across subscriptions or use fewer values`,
      ],
    ]);
  });

  it("'$or' alternatives add up: 3 × (50 + 1) = 153 is refused", async () => {
    const ten = `[${Array.from({ length: 10 }, (_, i) => `v${i}`).join(', ')}]`;
    expect(
      await errors(
        `            a: [x, y, z]\n            $or:\n              - b: ${ten}\n                c: [1, 2, 3, 4, 5]\n              - d: [q]\n`,
      ),
    ).toEqual([[POLICY_LINE, 11, expect.stringMatching(/allows 153 combinations/)]]);
  });

  it("keys count in every '$or' alternative, and '$or' needs two", async () => {
    expect(
      await errors(
        '            a: [x]\n            b: [x]\n            c: [x]\n            $or:\n              - d: [x]\n              - e: [x]\n                f: [x]\n',
      ),
    ).toEqual([
      [
        at(3),
        13,
        `${W} has 5 keys with '$or'[1] ("a", "b", "c", "e", "f"); SNS allows 5 per policy and svc-mesh uses one (svcmesh_type), so at most 4 are yours`,
      ],
    ]);
    expect(await errors('            $or:\n              - d: [x]\n')).toEqual([
      [at(0), 13, `${W} '$or' must be a list of at least two policies`],
    ]);
  });

  it('svcmesh_type, and svcmesh_code outside failed, are refused at their key', async () => {
    expect(await errors('            tier: [gold]\n            svcmesh_type: [failed]\n')).toEqual([
      [at(1), 13, `${W} must not set 'svcmesh_type': svc-mesh sets it from 'type:'`],
    ]);
  });
});

describe('Contracts keep keys that are Object.prototype member names', () => {
  it('sortKeys keeps __proto__ as an own key and the prototype untouched', async () => {
    const { sortKeys, canonicalJson } = await import('../../codegen/contracts/io.js');
    const sorted = sortKeys(JSON.parse('{"b":1,"__proto__":{"polluted":true},"a":{"constructor":2}}'));
    expect(Object.getPrototypeOf(sorted)).toBe(Object.prototype);
    expect(Object.keys(sorted)).toEqual(['__proto__', 'a', 'b']);
    expect((sorted as { polluted?: unknown }).polluted).toBeUndefined();
    expect(canonicalJson(sorted)).toBe('{"__proto__":{"polluted":true},"a":{"constructor":2},"b":1}');
  });
});
