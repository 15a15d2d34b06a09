import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourceError, SourceFile } from '../../codegen/load/source.js';
import { readService } from '../../codegen/load/service.js';
import { resolveVariables, VariableError, type VariableSources } from '../../codegen/load/variables.js';

const src = (over: Partial<VariableSources> = {}): VariableSources => ({
  stage: 'dev',
  region: undefined,
  env: {},
  self: () => undefined,
  ...over,
});

/** Text that cannot start or close a variable or a quoted fallback. */
const plain = fc.string({ maxLength: 30 }).filter((s) => !/[${}'",]/.test(s));
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/);

describe('Function: resolveVariables (property tests)', () => {
  it('leaves strings without variables unchanged', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('${')),
        (s) => resolveVariables(s, src()) === s,
      ),
    );
  });

  it('interpolates env variables anywhere in a string', () => {
    fc.assert(
      fc.property(plain, envName, plain, plain, (pre, name, value, post) => {
        expect(resolveVariables(`${pre}\${env:${name}}${post}`, src({ env: { [name]: value } }))).toBe(
          pre + value + post,
        );
      }),
    );
  });

  it('uses the first fallback that has a value', () => {
    fc.assert(
      fc.property(envName, envName, plain, fc.boolean(), (a, b, value, bSet) => {
        fc.pre(a !== b);
        const env = bSet ? { [b]: 'from-b' } : {};
        expect(resolveVariables(`\${env:${a}, env:${b}, '${value}'}`, src({ env }))).toBe(bSet ? 'from-b' : value);
      }),
    );
  });

  it('keeps the type of a whole-value variable and resolves nested addresses', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.integer())), (v) => {
        const self = (path: string[]) => (path.join('.') === 'custom.dev.x' ? v : undefined);
        expect(resolveVariables('${self:custom.${sls:stage}.x}', src({ self }))).toEqual(v);
      }),
    );
  });

  it('reports an unsupported source at the offset of its ${', () => {
    fc.assert(
      fc.property(
        plain,
        fc.constantFrom(
          'ssm:/a/b',
          'cf:stack.out',
          's3:bucket/key',
          'aws:accountId',
          'file(./x.yml)',
          'sls:instanceId',
        ),
        (pre, body) => {
          try {
            resolveVariables(`${pre}\${${body}}`, src());
            return false;
          } catch (err) {
            return err instanceof VariableError && err.index === pre.length && /not supported/.test(err.message);
          }
        },
      ),
    );
  });

  it('never throws anything but a VariableError, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('$', '{', '}', ',', "'", ':', 'e', 'n', 'v', 'x', ' ', 's', 'l', 'f') }),
        (s) => {
          try {
            resolveVariables(s, src({ env: { x: '1' } }));
          } catch (err) {
            expect(err).toBeInstanceOf(VariableError);
          }
        },
      ),
    );
  });
});

describe('Class: SourceFile', () => {
  const ctx = { stage: 'dev', region: undefined, env: {} };
  it('resolves ${self:…} through other variables and reports cycles with a position', () => {
    const f = SourceFile.fromText(
      '/x/serverless.yml',
      'custom:\n  a: ${self:custom.b}\n  b: ${sls:stage}-b\n  c: ${self:custom.d}\n  d: ${self:custom.c}\n',
      ctx,
    );
    const root = f.doc.contents as never;
    expect(f.value(f.pair(f.pair(root, 'custom')!.value, 'a')!.value)).toBe('dev-b');
    try {
      f.value(f.pair(f.pair(root, 'custom')!.value, 'c')!.value);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SourceError);
      expect((err as SourceError).diagnostic).toMatchObject({
        line: 4,
        message: expect.stringMatching(/circular variable reference/),
      });
    }
  });
});

const service = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/);
const fnKey = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,10}$/);

describe('Parser: calling lists (property tests)', () => {
  const read = (calling: string) =>
    readService(
      SourceFile.fromText(
        '/p/serverless.yml',
        `service: a\nfunctions:\n  f:\n    handler: h.f\n    calling:\n${calling}`,
        {
          stage: 'dev',
          region: undefined,
          env: {},
        },
      ),
      { stage: 'dev', stages: ['dev'], region: undefined },
    );

  it('reads every valid target list exactly (duplicates warned, dropped)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(service, fnKey), { maxLength: 12 }), (targets) => {
        const yaml = targets.map(([s, f]) => `      - '${s}:${f}'\n`).join('');
        const r = read(yaml || '      []\n');
        const ids = targets.map(([s, f]) => `${s}:${f}`);
        const unique = ids.filter((x, i) => ids.indexOf(x) === i);
        expect(r.service!.functions[0]!.calling.map((t) => `${t.service}:${t.function}`)).toEqual(unique);
        expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(r.diagnostics.filter((d) => d.severity === 'warning')).toHaveLength(ids.length - unique.length);
      }),
    );
  });

  it('reads a list given through ${self:custom.…} as the same list, errors pointing at the variable', () => {
    const entry = fc.oneof(
      fc.tuple(service, fnKey).map(([s, f]) => `${s}:${f}`),
      fc.constantFrom('nocolon', 'a:b:c', '1a:b'),
    );
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 8 }), (items) => {
        const list = items.map((t) => `    - ${JSON.stringify(t)}\n`).join('');
        const viaVariable = readService(
          SourceFile.fromText(
            '/p/serverless.yml',
            `service: a\nfunctions:\n  f:\n    handler: h.f\n    calling: \${self:custom.targets}\ncustom:\n  targets:\n${list}`,
            { stage: 'dev', region: undefined, env: {} },
          ),
          { stage: 'dev', stages: ['dev'], region: undefined },
        );
        const literal = read(items.map((t) => `      - ${JSON.stringify(t)}\n`).join(''));
        const ids = (r: typeof literal) => r.service?.functions[0]?.calling.map((t) => `${t.service}:${t.function}`);
        expect(ids(viaVariable)).toEqual(ids(literal));
        const messages = (r: typeof literal) => r.diagnostics.map((d) => `${d.severity} ${d.message}`);
        expect(messages(viaVariable)).toEqual(messages(literal));
        for (const d of viaVariable.diagnostics) expect({ line: d.line, col: d.col }).toEqual({ line: 5, col: 14 });
      }),
    );
  });

  it('reports each invalid entry on its own line, keeps the valid ones', () => {
    const bad = fc.constantFrom('svc:', ':fn', 'a:b:c', 'nocolon', '1a:b', 'a:b c', 'a:b\u200b');
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            bad,
            fc.tuple(service, fnKey).map(([s, f]) => `${s}:${f}`),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        (items) => {
          const r = read(items.map((t) => `      - ${JSON.stringify(t)}\n`).join(''));
          const errors = r.diagnostics.filter((d) => d.severity === 'error');
          const badLines = items
            .map((t, i) => (/^[A-Za-z][A-Za-z0-9-]*:[A-Za-z][A-Za-z0-9_-]*$/.test(t) ? -1 : 6 + i))
            .filter((l) => l > 0);
          expect(errors.map((d) => d.line)).toEqual(badLines);
          for (const e of errors) expect(e.col).toBe(9);
        },
      ),
    );
  });
});

describe('Function: readService (fuzz)', () => {
  const tokens = fc.constantFrom(
    'service: a\n',
    'functions:\n',
    '  f:\n',
    '    handler: h.f\n',
    '    calling:\n',
    '      - a:f\n',
    '      - ${self:x}\n',
    '    calling: x\n',
    '    events:\n',
    '      - function: { name: f, type: start }\n',
    '      - function: 3\n',
    '    subscribable: maybe\n',
    '  - item\n',
    ': : :\n',
    '"unclosed\n',
    '&a x\n',
    '*a\n',
    '<<: *a\n',
    '${env:X}\n',
    'provider:\n',
    '  environment: [1]\n',
    '    name: ${sls:stage}-${opt:region}\n',
    '\t\n',
    '---\n',
    '{}\n',
    'null\n',
  );
  it('never throws: every problem becomes a located diagnostic', () => {
    fc.assert(
      fc.property(fc.array(tokens, { maxLength: 20 }), (parts) => {
        const src = SourceFile.fromText('/p/serverless.yml', parts.join(''), {
          stage: 'dev',
          region: undefined,
          env: {},
        });
        const r = readService(src, { stage: 'dev', stages: ['dev', 'shared'], region: undefined });
        for (const d of r.diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.col).toBeGreaterThanOrEqual(1);
          expect(d.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
