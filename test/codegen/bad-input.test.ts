import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Diagnostic, isCodegenError, loadProject } from '../../codegen/index.js';
import { handlers, runCodegen, service, tempProject } from './helpers/project.js';

/** Loads and returns the diagnostics of a failing project (fails the test if it loads). */
async function diagnostics(files: Record<string, string>, opts: { contracts?: boolean } = {}): Promise<Diagnostic[]> {
  using p = tempProject(files);
  const err = await loadProject([p.dir], { stage: 'dev', ...opts }).catch((e: unknown) => e);
  if (!isCodegenError(err)) throw new Error(`expected a CodegenError, got ${String(err)}`);
  return err.diagnostics.map((d) => ({ ...d, file: d.file.slice(p.dir.length + 1) }));
}

const users = service(
  'users',
  '  get:\n    handler: h.get\n  create:\n    handler: h.create\n    subscribable: true\n',
);

describe('Bad input: each gives file:line:col and a non-zero exit', () => {
  it('invalid YAML', async () => {
    const d = await diagnostics({ 'a/serverless.yml': 'service: a\nfunctions:\n  f: [unclosed\n', 'a/h.ts': '' });
    expect(d[0]).toMatchObject({ file: 'a/serverless.yml', line: 4, severity: 'error' });
    expect(d[0]!.message).toMatch(/invalid YAML/);
  });

  it('calling as a string instead of a list, with the fix', async () => {
    const d = await diagnostics({
      'users/serverless.yml': users,
      'users/h.ts': handlers('get', 'create'),
      'o/serverless.yml': service('o', '  f:\n    handler: h.f\n    calling: users:get\n'),
      'o/h.ts': handlers('f'),
    });
    expect(d).toEqual([
      {
        file: 'o/serverless.yml',
        line: 8,
        col: 14,
        severity: 'error',
        message: `'calling:' must be a list of 'service:function' strings, got the string "users:get"; write it as a list: calling: ["users:get"]`,
      },
    ]);
  });

  it.each([
    ['svc:', 'the function name after the colon is empty'],
    ['svc:fn:extra', "2 ':' separators"],
    ['svc fn', "no ':'"],
  ])('an invalid target %j', async (target, reason) => {
    const d = await diagnostics({
      'o/serverless.yml': service('o', `  f:\n    handler: h.f\n    calling:\n      - '${target}'\n`),
      'o/h.ts': handlers('f'),
    });
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ line: 9, col: 9 });
    expect(d[0]!.message).toContain(reason);
  });

  it('unknown lifecycle type and a misspelt event, with closest matches', async () => {
    const d = await diagnostics({
      'users/serverless.yml': users,
      'users/h.ts': handlers('get', 'create'),
      's/serverless.yml': service(
        's',
        '  f:\n    handler: h.f\n    events:\n      - function: { service: users, name: create, type: finshed }\n      - functon: { service: users, name: create, type: start }\n',
      ),
      's/h.ts': handlers('f'),
    });
    expect(d.map((x) => [x.line, x.col, x.message])).toEqual([
      [9, 57, "unknown lifecycle event type 'finshed'; did you mean 'failed'? (one of start, success, failed)"],
      [10, 9, "unknown event type 'functon'; did you mean 'function'?"],
    ]);
  });

  it('a filter on svcmesh_code under a type other than failed, which could never match', async () => {
    const d = await diagnostics({
      'users/serverless.yml': users,
      'users/h.ts': handlers('get', 'create'),
      's/serverless.yml': service(
        's',
        '  f:\n    handler: h.f\n    events:\n      - function:\n          service: users\n          name: create\n          type: success\n          filterPolicy: { svcmesh_code: [CARD_DECLINED] }\n',
      ),
      's/h.ts': handlers('f'),
    });
    expect(d.map((x) => [x.line, x.message])).toEqual([
      [
        13,
        "functions.f.events[0].function.filterPolicy filters on 'svcmesh_code', which only 'failed' events carry (the error's code); this 'success' subscription would never receive anything. Use type: failed, or remove svcmesh_code",
      ],
    ]);
  });

  it('unsupported variables, pointing at the variable itself', async () => {
    const d = await diagnostics({
      'a/serverless.yml': service(
        'a',
        '  f:\n    handler: h.f\n    environment:\n      X: prefix-${ssm:/my/param}\n      Y: ${file(./config.yml):key}\n      Z: ${env:SVC_CODEGEN_TEST_UNSET}\n',
      ),
      'a/h.ts': handlers('f'),
    });
    expect(d.map((x) => [x.line, x.col])).toEqual([
      [9, 17],
      [10, 10],
      [11, 10],
    ]);
    expect(d[0]!.message).toMatch(/^\$\{ssm:\/my\/param\} is not supported by svc-codegen; supported: /);
    expect(d[1]!.message).toMatch(/file\(\.\.\.\) sources are not read/);
    expect(d[2]!.message).toMatch(/SVC_CODEGEN_TEST_UNSET is not set and no default was given; add one/);
  });

  it('unknown service and function, naming the closest match', async () => {
    const d = await diagnostics({
      'users/serverless.yml': users,
      'users/h.ts': handlers('get', 'create'),
      'o/serverless.yml': service(
        'o',
        '  f:\n    handler: h.f\n    calling:\n      - usres:get\n      - users:craete\n',
      ),
      'o/h.ts': handlers('f'),
    });
    expect(d.map((x) => x.message)).toEqual([
      "calling 'usres:get': unknown service 'usres'; did you mean 'users'? (a service from another repository needs its contract: --contracts <dir>)",
      "calling 'users:craete': service 'users' has no function 'craete'; did you mean 'users:create'?",
    ]);
  });

  it('a subscription to a function that is not subscribable', async () => {
    const d = await diagnostics({
      'users/serverless.yml': users,
      'users/h.ts': handlers('get', 'create'),
      's/serverless.yml': service(
        's',
        '  f:\n    handler: h.f\n    events:\n      - function: { service: users, name: get, type: success }\n',
      ),
      's/h.ts': handlers('f'),
    });
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ file: 's/serverless.yml', line: 9, col: 9 });
    expect(d[0]!.message).toMatch(
      /'users:get': it is not subscribable .* add 'subscribable: true' to it \(.*users\/serverless.yml:6\)/,
    );
  });

  it('invalid names and physical names over 64 characters', async () => {
    const long = 'a'.repeat(50);
    const d = await diagnostics({
      'a/serverless.yml': service(long, `  ${'f'.repeat(12)}:\n    handler: h.f\n  9bad:\n    handler: h.f\n`),
      'a/h.ts': handlers('f'),
      'b/serverless.yml': service('b_c', '  f:\n    handler: h.f\n'),
      'b/h.ts': handlers('f'),
    });
    expect(d.map((x) => [x.file, x.line, x.message.slice(0, 60)])).toEqual([
      ['a/serverless.yml', 6, `the Lambda name '${long}-dev-ffffffffffff' is 67 characters;`.slice(0, 60)],
      ['a/serverless.yml', 8, 'invalid function key "9bad": it must start with a letter and'],
      ['b/serverless.yml', 1, 'invalid service name "b_c": it must start with a letter and '],
    ]);
  });

  it('duplicate services and duplicate keys', async () => {
    const d = await diagnostics({
      'a/serverless.yml': service('same', '  f:\n    handler: h.f\n    handler: h.g\n'),
      'a/h.ts': handlers('f', 'g'),
      'b/serverless.yml': service('same', '  f:\n    handler: h.f\n'),
      'b/h.ts': handlers('f'),
    });
    expect(d.map((x) => [x.file, x.line, x.col])).toEqual([
      ['a/serverless.yml', 8, 5],
      ['b/serverless.yml', 1, 10],
    ]);
    expect(d[0]!.message).toMatch(/^duplicate key 'handler': it is already set above/);
    expect(d[1]!.message).toMatch(/^duplicate service 'same': already defined in .*a\/serverless.yml:1:10/);
  });

  it('a missing handler file and a missing export (closest match)', async () => {
    const d = await diagnostics({
      'a/serverless.yml': service('a', '  f:\n    handler: src/nope.f\n  g:\n    handler: h.handlr\n'),
      'a/h.ts': handlers('handler'),
    });
    expect(d.map((x) => [x.line, x.col])).toEqual([
      [7, 14],
      [9, 14],
    ]);
    expect(d[0]!.message).toMatch(/^handler file not found: looked for src\/nope\{\.ts,\.mts,\.cts,\.js,\.mjs,\.cjs\}/);
    expect(d[1]!.message).toBe("h.ts has no export 'handlr'; did you mean 'h.handler'?");
  });

  it('reports every error of every file at once', async () => {
    const d = await diagnostics({
      'a/serverless.yml': service('a', '  f:\n    handler: h.f\n    calling: nope\n    subscribable: yes\n'),
      'a/h.ts': handlers('f'),
      'b/serverless.yml': service('b', '  g:\n    handler: h.missing\n    calling: ["a:x"]\n'),
      'b/h.ts': handlers('g'),
    });
    expect(d.map((x) => `${x.file}:${x.line}: ${x.message.slice(0, 40)}`)).toEqual([
      "a/serverless.yml:8: 'calling:' must be a list of 'service:fu",
      "a/serverless.yml:9: 'subscribable:' must be true or false, g",
      "b/serverless.yml:7: h.ts has no export 'missing'; did you me",
      "b/serverless.yml:8: calling 'a:x': service 'a' has no functi",
    ]);
  });
});

describe('Warnings do not fail the run', () => {
  it('warns on a sync call cycle with its path', async () => {
    using p = tempProject({
      'a/serverless.yml': service('a', '  f:\n    handler: h.f\n    calling: [b:g]\n'),
      'a/h.ts': handlers('f'),
      'b/serverless.yml': service('b', '  g:\n    handler: h.g\n    calling: [a:f]\n'),
      'b/h.ts': handlers('g'),
    });
    const project = await loadProject([p.dir], { stage: 'dev' });
    expect(project.diagnostics).toHaveLength(1);
    expect(project.diagnostics[0]).toMatchObject({ severity: 'warning', line: 8 });
    expect(project.diagnostics[0]!.message).toMatch(
      /^sync call cycle: a:f → b:g → a:f\. Lambda's recursive loop detection/,
    );
  });

  it('falls back to unknown with a warning for an untyped handler, and survives circular types', async () => {
    using p = tempProject({
      'a/serverless.yml': service('a', '  untyped:\n    handler: h.untyped\n  tree:\n    handler: h.tree\n'),
      'a/h.ts': [
        'export const untyped = async (input) => input;',
        'export interface Node { value: number; children: Node[]; parent?: Node }',
        'export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };',
        'export const tree = async (input: Node): Promise<Json> => input.value;',
      ].join('\n'),
    });
    const project = await loadProject([p.dir], { stage: 'dev', contracts: true });
    const c = project.contracts['a']!;
    expect(c.functions['untyped']).toEqual({ subscribable: false, input: {}, output: {}, untyped: true });
    expect(project.diagnostics.map((d) => [d.line, d.severity])).toEqual([[7, 'warning']]);
    expect(project.diagnostics[0]!.message).toMatch(/a:untyped: no types for the handler/);
    expect(c.functions['tree']!.input).toMatchObject({ properties: { parent: { $ref: '#/definitions/Node' } } });
    expect(c.definitions['Node']).toMatchObject({
      properties: { children: { items: { $ref: '#/definitions/Node' } } },
    });
    expect(c.functions['tree']!.output).toMatchObject({
      anyOf: expect.arrayContaining([{ type: 'array', items: { $ref: '#/definitions/Json' } }]),
    });
    expect(c.hash).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
  });
});

describe('CLI: exit codes and output', () => {
  it('exits 1 with file:line:col diagnostics and writes nothing', async () => {
    using p = tempProject({
      'a/serverless.yml': service('a', '  f:\n    handler: h.f\n    calling: x\n'),
      'a/h.ts': '',
    });
    const out = join(p.dir, 'out');
    const r = await runCodegen([p.dir, '--out', out, '--no-types']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('a/serverless.yml:8:14: error:');
    expect(r.stderr).toContain('nothing was written');
    expect(existsSync(out)).toBe(false);
  });

  it('keeps the previous output when a later run fails', async () => {
    using p = tempProject({ 'a/serverless.yml': service('a', '  f:\n    handler: h.f\n'), 'a/h.ts': handlers('f') });
    const out = join(p.dir, 'out');
    expect((await runCodegen([join(p.dir, 'a'), '--out', out, '--no-types'])).code).toBe(0);
    const before = readFileSync(join(out, 'iam/a-f.json'), 'utf8');
    writeFileSync(join(p.dir, 'a/serverless.yml'), service('a', '  f:\n    handler: h.f\n    calling: [nope:x]\n'));
    expect((await runCodegen([join(p.dir, 'a'), '--out', out, '--no-types'])).code).toBe(1);
    expect(readFileSync(join(out, 'iam/a-f.json'), 'utf8')).toBe(before);
    expect(readdirSync(p.dir).sort()).toEqual(['a', 'node_modules', 'out']);
  });

  it('reports an output directory that cannot be written, leaving nothing behind', async () => {
    using p = tempProject({
      'a/serverless.yml': service('a', '  f:\n    handler: h.f\n'),
      'a/h.ts': handlers('f'),
      blocker: 'a file',
    });
    const r = await runCodegen([join(p.dir, 'a'), '--out', join(p.dir, 'blocker/out'), '--no-types']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot write the output to .*blocker\/out: a parent of it is a file, not a directory/);
    expect(readdirSync(p.dir).sort()).toEqual(['a', 'blocker', 'node_modules']);
  });

  it('refuses to replace a directory it did not write', async () => {
    using p = tempProject({
      'a/serverless.yml': service('a', '  f:\n    handler: h.f\n'),
      'a/h.ts': handlers('f'),
      'mine/keep.txt': 'x',
    });
    const r = await runCodegen([join(p.dir, 'a'), '--out', join(p.dir, 'mine'), '--no-types']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not empty and was not written by svc-codegen/);
    expect(readFileSync(join(p.dir, 'mine/keep.txt'), 'utf8')).toBe('x');
  });

  it('exits 2 on bad usage', async () => {
    const r = await runCodegen(['--discovery', 'dns']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown source 'dns'/);
    expect((await runCodegen(['check'])).code).toBe(2);
  });

  it('an unwritable location under /proc fails cleanly', async () => {
    using p = tempProject({ 'a/serverless.yml': service('a', '  f:\n    handler: h.f\n'), 'a/h.ts': handlers('f') });
    mkdirSync(join(p.dir, 'x'));
    const r = await runCodegen([join(p.dir, 'a'), '--out', '/proc/svc-codegen-out', '--no-types']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^svc-codegen: Cannot write the output to \/proc\/svc-codegen-out: /);
  });
});
