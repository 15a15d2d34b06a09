/**
 * Every Lambda name that reaches an ARN passes one check, whatever its source (issue 12 item 1):
 * the built service's `name:` (literal, through a variable, in a fallback stage), a reference
 * service (referencePaths, the plugin's sibling directories and custom.svcMesh.paths), an
 * external contract, and the default name of a service that is not part of the run. A property
 * test feeds hostile names through each path: codegen either refuses the input (CodegenError,
 * with a position) or emits IAM whose every resource is exact — never `*`, `?` or a name prefix.
 * A valid name must go through (so the property cannot hold by refusing everything).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generate, isCodegenError, loadProject, type Project, type ProjectOptions } from '../../codegen/index.js';
import { applySvcMesh, type CfnTemplate } from '../../codegen/emit/serverless-plugin.js';
import { LAMBDA_FUNCTION_NAME_RE } from '../../src/internal/names.js';
import { handlers, service, tempProject } from './helpers/project.js';

const ACCOUNT = '123456789012';

/** Names an attacker (or a typo) could write. */
const hostileName = fc.oneof(
  fc.constantFrom('*', '?', 'pay*', '*-dev-*', 'a?b', 'pay-dev-*', 'x:*', 'f:1', 'arn:aws:lambda:*', ' ', 'a b', 'é'),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/),
  fc.string({ unit: fc.constantFrom(...'ab-_*?:/.$ {}\\"\'\n\t'.split('')), minLength: 0, maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);
/** Parts of a `service:function` (as a contract or an unknown target names them). */
const hostilePart = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,50}$/), hostileName);

/** Every IAM resource the generated output holds, with its action(s). */
function resources(json: unknown): { action: string; resource: string }[] {
  const out: { action: string; resource: string }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (Object.hasOwn(o, 'Resource') && Object.hasOwn(o, 'Action')) {
        const actions = ([] as unknown[]).concat(o['Action']).map(String);
        for (const r of ([] as unknown[]).concat(o['Resource'])) {
          const text = typeof r === 'string' ? r : JSON.stringify(r);
          for (const action of actions) out.push({ action, resource: text });
        }
      }
      for (const x of Object.values(o)) walk(x);
    }
  };
  walk(json);
  return out;
}

/** No wildcard resource: only the `:*` qualifier of an exact ARN, and ListExports' required `*`. */
function assertNoWildcard(json: unknown): void {
  const all = resources(json);
  expect(all.length).toBeGreaterThan(0);
  for (const { action, resource } of all) {
    if (action === 'cloudformation:ListExports') {
      expect(resource).toBe('*');
      continue;
    }
    const exact = resource.replace(/:\*("?\}?)$/, '$1');
    expect(exact, `${action} on ${resource}`).not.toMatch(/[*?]/);
    const fn = /:function:([^:"]*)/.exec(resource);
    if (fn !== null) expect(fn[1], resource).toMatch(LAMBDA_FUNCTION_NAME_RE);
  }
}

interface Outcome {
  refused: boolean;
  /** The generated IAM (policies, template policies, CloudFormation), when not refused. */
  iam?: unknown;
}

async function run(load: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { refused: false, iam: await load() };
  } catch (err) {
    if (isCodegenError(err)) {
      for (const d of err.diagnostics) expect(d.line).toBeGreaterThanOrEqual(1);
      return { refused: true };
    }
    throw err;
  }
}

const gen = async (paths: string[], options: ProjectOptions) => {
  const g = generate(await loadProject(paths, options));
  return { policies: g.policies, templatePolicies: g.templatePolicies, cloudformation: g.cloudformation };
};

/** The caller `b:g`, built, calling `a:f`. */
const caller = () => ({
  'b/serverless.yml': service('b', '  g:\n    handler: h.g\n    calling: [a:f]\n'),
  'b/h.ts': handlers('g'),
});
const yamlString = (s: string) => JSON.stringify(s);

/** One way a name can reach an ARN: returns the outcome for `name`. */
type Path = (dir: string, name: string) => Promise<Outcome>;

function write(dir: string, files: Record<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
  }
}

const paths: Record<string, Path> = {
  'built service, literal name:': (dir, name) => {
    write(dir, {
      ...caller(),
      'a/serverless.yml': service('a', `  f:\n    handler: h.f\n    name: ${yamlString(name)}\n`),
      'a/h.ts': handlers('f'),
    });
    return run(() => gen([dir], { stage: 'dev', account: ACCOUNT }));
  },
  'built service, name: from a variable': (dir, name) => {
    write(dir, {
      ...caller(),
      'a/serverless.yml': service('a', '  f:\n    handler: h.f\n    name: ${env:FN_NAME}\n'),
      'a/h.ts': handlers('f'),
    });
    return run(() => gen([dir], { stage: 'dev', env: { FN_NAME: name } }));
  },
  'built service, name: in a fallback stage only': (dir, name) => {
    write(dir, {
      ...caller(),
      'a/serverless.yml':
        `custom:\n  names:\n    alice: a-alice-f\n    dev: ${yamlString(name)}\n` +
        service('a', '  f:\n    handler: h.f\n    name: ${self:custom.names.${sls:stage}}\n'),
      'a/h.ts': handlers('f'),
    });
    return run(() => gen([dir], { stage: 'alice', stageFallback: ['dev'], account: ACCOUNT }));
  },
  'reference service (referencePaths)': (dir, name) => {
    write(dir, {
      ...caller(),
      'a/serverless.yml': service('a', `  f:\n    handler: missing.f\n    name: ${yamlString(name)}\n`),
    });
    return run(() => gen([join(dir, 'b')], { stage: 'dev', referencePaths: [dir], account: ACCOUNT }));
  },
  'reference service, name: in a fallback stage only': (dir, name) => {
    write(dir, {
      ...caller(),
      'a/serverless.yml': service(
        'a',
        "  f:\n    handler: missing.f\n    name: ${env:NAME_${sls:stage}, 'a-main-f'}\n",
      ),
    });
    return run(() =>
      gen([join(dir, 'b')], { stage: 'alice', stageFallback: ['dev'], referencePaths: [dir], env: { NAME_dev: name } }),
    );
  },
  'Serverless plugin, sibling directory': (dir, name) => {
    write(dir, {
      ...caller(),
      'a/serverless.yml': service('a', `  f:\n    handler: missing.f\n    name: ${yamlString(name)}\n`),
    });
    return runPlugin(join(dir, 'b'), {});
  },
  'Serverless plugin, custom.svcMesh.paths': (dir, name) => {
    write(dir, {
      ...caller(),
      'elsewhere/a/serverless.yml': service('a', `  f:\n    handler: missing.f\n    name: ${yamlString(name)}\n`),
    });
    return runPlugin(join(dir, 'b'), { paths: ['../elsewhere'] });
  },
};

async function runPlugin(serviceDir: string, config: { paths?: string[] }): Promise<Outcome> {
  const template: CfnTemplate = {
    Resources: { GLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'b-dev-g' } } },
  };
  return run(async () => {
    await applySvcMesh({
      serviceDir,
      serviceName: 'b',
      stage: 'dev',
      region: 'us-east-1',
      config: { ...config, types: false },
      template,
    });
    return template;
  });
}

/** Paths where the name is made of a service and a function name (`{service}-{stage}-{function}`). */
const composedPaths: Record<string, (dir: string, svc: string, fn: string) => Promise<Outcome>> = {
  'external contract (--contracts)': (dir, svc, fn) => {
    write(dir, {
      'b/serverless.yml': service('b', `  g:\n    handler: h.g\n    calling: [${yamlString(`${svc}:${fn}`)}]\n`),
      'b/h.ts': handlers('g'),
      'contracts/a.json': JSON.stringify({
        svcMesh: 1,
        service: svc,
        hash: 'sha256-x',
        functions: { [fn]: { subscribable: false, input: {}, output: {} } },
        definitions: {},
      }),
    });
    return run(() => gen([join(dir, 'b')], { stage: 'dev', externalContracts: [join(dir, 'contracts')] }));
  },
  'service not part of the run (unknownServices: warning)': (dir, svc, fn) => {
    write(dir, {
      'b/serverless.yml': service('b', `  g:\n    handler: h.g\n    calling: [${yamlString(`${svc}:${fn}`)}]\n`),
      'b/h.ts': handlers('g'),
    });
    return run(() => gen([join(dir, 'b')], { stage: 'dev', unknownServices: 'warning', account: ACCOUNT }));
  },
};

describe('Hostile Lambda names never reach IAM as wildcards', () => {
  for (const [label, path] of Object.entries(paths)) {
    it(`${label}: refused with a position, or exact resources only`, async () => {
      using p = tempProject({});
      const dir = join(p.dir, 'w');
      // A valid name goes through, into the caller's policy as is.
      const ok = await path(dir, 'a-custom-f');
      expect(ok.refused).toBe(false);
      expect(JSON.stringify(ok.iam)).toContain('function:a-');
      await fc.assert(
        fc.asyncProperty(hostileName, async (name) => {
          const o = await path(dir, name);
          if (!o.refused) assertNoWildcard(o.iam);
          if (/[*?]/.test(name)) expect(o.refused, `accepted ${JSON.stringify(name)}`).toBe(true);
          if (LAMBDA_FUNCTION_NAME_RE.test(name)) {
            expect(o.refused, `refused ${JSON.stringify(name)}`).toBe(false);
          }
        }),
        // Always tried: an unterminated variable around a wildcard (a reference service once fell
        // back to its default name on it, silently).
        { numRuns: 40, examples: [['${*'], ['pay-${env:X']] },
      );
    });
  }
  for (const [label, path] of Object.entries(composedPaths)) {
    it(`${label}: refused with a position, or exact resources only`, async () => {
      using p = tempProject({});
      const dir = join(p.dir, 'w');
      const ok = await path(dir, 'a', 'f');
      expect(ok.refused).toBe(false);
      expect(JSON.stringify(ok.iam)).toContain('function:a-dev-f');
      const long = await path(dir, 'a'.repeat(40), 'f'.repeat(30));
      expect(long.refused).toBe(true);
      await fc.assert(
        fc.asyncProperty(hostilePart, hostilePart, async (svc, fn) => {
          const o = await path(dir, svc, fn);
          if (!o.refused) assertNoWildcard(o.iam);
          if (/[*?]/.test(svc + fn)) expect(o.refused).toBe(true);
        }),
        { numRuns: 40 },
      );
    });
  }

  it('names the problem and where: a wildcard in a reference service', async () => {
    using p = tempProject({
      ...caller(),
      'a/serverless.yml': service('a', '  f:\n    handler: missing.f\n    name: "pay*"\n'),
    });
    const err = await gen([join(p.dir, 'b')], { stage: 'dev', referencePaths: [p.dir] }).catch((e) => e);
    expect(isCodegenError(err)).toBe(true);
    expect(
      err.diagnostics.map((d: { file: string; line: number; message: string }) => [d.file, d.line, d.message]),
    ).toEqual([
      [
        join(p.dir, 'b/serverless.yml'),
        8,
        `calling 'a:f': the Lambda name 'pay*' contains '*' (an IAM wildcard: it would grant access to other functions); Lambda names may contain only letters, digits, '-' and '_' (defined at ${join(p.dir, 'a/serverless.yml')}:8:11)`,
      ],
    ]);
  });

  it('refuses a partition that is not one', async () => {
    using p = tempProject(caller());
    const err = await loadProject([join(p.dir, 'b')], {
      stage: 'dev',
      partition: '*',
      unknownServices: 'warning',
    }).catch((e) => e);
    expect(isCodegenError(err) && err.message).toMatch(/--partition "\*" is not an AWS partition/);
  });
});

describe('generate() refuses a wildcard resource whatever built the project', () => {
  it.each([
    ['account', (p: Project) => void (p.options.account = '*')],
    ['partition', (p: Project) => void (p.options.partition = 'aws*')],
    ['stage', (p: Project) => void (p.options.stageFallback = ['*'])],
    ['service region', (p: Project) => void (p.services[0]!.region = '?')],
  ])('a hand-built project with a wildcard %s', async (_what, spoil) => {
    using p = tempProject({
      ...caller(),
      'a/serverless.yml': service('a', '  f:\n    handler: h.f\n'),
      'a/h.ts': handlers('f'),
    });
    const project = await loadProject([p.dir], { stage: 'dev', account: ACCOUNT });
    expect(() => generate(project)).not.toThrow();
    spoil(project);
    expect(() => generate(project)).toThrow(/wildcard resource|refusing to put the Lambda name/);
  });

  it('a hand-built project with a wildcard Lambda name', async () => {
    using p = tempProject({
      ...caller(),
      'a/serverless.yml': service('a', '  f:\n    handler: h.f\n'),
      'a/h.ts': handlers('f'),
    });
    const project = await loadProject([p.dir], { stage: 'dev', account: ACCOUNT });
    const f = project.services.find((s) => s.name === 'a')!.functions[0]!;
    f.physicalNames['dev'] = 'a-*';
    expect(() => generate(project)).toThrow(/refusing to put the Lambda name "a-\*" in an ARN/);
  });
});
