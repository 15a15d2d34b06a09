/**
 * Least privilege, checked by an evaluator that is not ours (@cloud-copilot/iam-simulate, a
 * test-only dev dependency): for every generated role, every function's invoke ARN, every
 * lifecycle topic, every discovery record and every log group, in the stages of the chain and
 * in a stage outside it, is allowed exactly when the declarations say so.
 */
import { join } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { generate, loadProject, type PolicyDocument, type Project } from '../../codegen/index.js';
import { LIFECYCLE_TYPES } from '../../src/internal/names.js';
import { service, tempProject } from './helpers/project.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ROOT = join(import.meta.dirname, '../..');
const OPTS = {
  stage: 'alice',
  stageFallback: ['dev'],
  account: ACCOUNT,
  region: REGION,
  discovery: ['ssm', 'exports'] as ('ssm' | 'exports')[],
};
/** The chain plus a stage outside it: grants there must be denied. */
const STAGES = ['alice', 'dev', 'prod'];

interface Check {
  caller: string;
  action: string;
  resource: string;
  expected: 'Allowed' | 'ImplicitlyDenied';
}

function checks(project: Project): Check[] {
  const out: Check[] = [];
  const all = project.services.flatMap((s) => s.functions.map((f) => ({ s, f })));
  const arn = (kind: string, rest: string) => `arn:aws:${kind}:${REGION}:${ACCOUNT}:${rest}`;
  for (const { s: cs, f: caller } of all) {
    const id = `${cs.name}:${caller.key}`;
    const calls = new Set(caller.calling.map((t) => `${t.service}:${t.function}`));
    for (const { s, f } of all) {
      const target = `${s.name}:${f.key}`;
      for (const stage of STAGES) {
        const inChain = stage !== 'prod';
        const declared = calls.has(target) && inChain;
        const name = `${s.name}-${stage}-${f.key}`;
        const fnArn = arn('lambda', `function:${name}`);
        const allow = declared ? 'Allowed' : 'ImplicitlyDenied';
        out.push({ caller: id, action: 'lambda:InvokeFunction', resource: fnArn, expected: allow });
        out.push({ caller: id, action: 'lambda:InvokeFunction', resource: `${fnArn}:live`, expected: allow });
        const record = arn('ssm', `parameter/svc-mesh/${stage}/${s.name}/${f.key}`);
        out.push({ caller: id, action: 'ssm:GetParameter', resource: record, expected: allow });
        out.push({ caller: id, action: 'ssm:GetParameters', resource: record, expected: allow });
        // Topics: every function's would-be topics (subscribable or not); only its own, own stage.
        for (const t of LIFECYCLE_TYPES) {
          const own = target === id && stage === 'alice' && f.subscribable;
          out.push({
            caller: id,
            action: 'sns:Publish',
            resource: arn('sns', `${name}-${t}`),
            expected: own ? 'Allowed' : 'ImplicitlyDenied',
          });
        }
        const ownLogs = target === id && stage === 'alice';
        out.push({
          caller: id,
          action: 'logs:PutLogEvents',
          resource: arn('logs', `log-group:/aws/lambda/${name}:log-stream:x`),
          expected: ownLogs ? 'Allowed' : 'ImplicitlyDenied',
        });
      }
    }
    // No function may publish to, or invoke, anything the project does not know.
    out.push({
      caller: id,
      action: 'sns:Publish',
      resource: arn('sns', 'unrelated-topic'),
      expected: 'ImplicitlyDenied',
    });
    out.push({
      caller: id,
      action: 'lambda:InvokeFunction',
      resource: arn('lambda', 'function:other'),
      expected: 'ImplicitlyDenied',
    });
  }
  return out;
}

async function evaluate(policies: PolicyDocument[], c: Check): Promise<string> {
  const res = await runSimulation(
    {
      identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: c.action,
        principal: `arn:aws:iam::${ACCOUNT}:role/${c.caller.replace(':', '-')}`,
        resource: { accountId: ACCOUNT, resource: c.resource },
        contextVariables: {},
      },
    },
    {},
  );
  if (res.resultType === 'error') return `error: ${JSON.stringify(res.errors)}`;
  return res.overallResult;
}

/** Template ARNs rendered with the same account and region equal the concrete ones. */
function render(docs: PolicyDocument[]): string {
  return JSON.stringify(docs)
    .replaceAll('${AWS::Partition}', 'aws')
    .replaceAll('${AWS::Region}', REGION)
    .replaceAll('${AWS::AccountId}', ACCOUNT);
}

async function verify(project: Project) {
  const g = generate(project);
  const list = checks(project);
  const wrong: string[] = [];
  let allowed = 0;
  for (const c of list) {
    const got = await evaluate(g.policies[c.caller]!, c);
    if (got !== c.expected) wrong.push(`${c.caller} ${c.action} ${c.resource}: expected ${c.expected}, got ${got}`);
    if (c.expected === 'Allowed') allowed++;
  }
  for (const [id, docs] of Object.entries(g.policies)) {
    expect(render(g.templatePolicies[id]!), id).toBe(JSON.stringify(docs));
    for (const st of docs.flatMap((d) => d.Statement)) {
      for (const a of ([] as string[]).concat(st.Action)) expect(a).not.toContain('*');
      for (const r of ([] as string[]).concat(st.Resource)) {
        if (r === '*') expect(st.Action).toBe('cloudformation:ListExports');
        else expect(r.slice(0, -2), r).not.toContain('*'); // only the `ARN:*` qualifier and log streams
      }
    }
  }
  return { wrong, allowed, denied: list.length - allowed, total: list.length };
}

const shop = await loadProject([join(ROOT, 'examples/shop')], OPTS);
const plan2016 = await loadProject([join(ROOT, 'examples/serverless-2016')], OPTS);
const basic = await loadProject([join(ROOT, 'test/fixtures/codegen/basic')], OPTS);

describe('Least privilege (independent evaluator: @cloud-copilot/iam-simulate)', () => {
  it.each([
    ['examples/shop', shop],
    ['examples/serverless-2016', plan2016],
    ['test/fixtures/codegen/basic', basic],
  ])('%s: allowed exactly for declared edges, denied otherwise', async (name, project) => {
    const r = await verify(project);
    // The counts, for the report.
    process.stdout.write(`least privilege ${name}: ${r.total} requests, ${r.allowed} allowed, ${r.denied} denied\n`);
    expect(r.wrong).toEqual([]);
    expect(r.allowed).toBeGreaterThan(0);
    expect(r.denied).toBeGreaterThan(r.allowed);
  });

  it('stays exact when a long calling list is split across managed policies', async () => {
    const targets = Array.from({ length: 60 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    const fns = targets.map((t) => `  ${t}:\n    handler: h.${t}\n`).join('');
    using p = tempProject({
      'billing/serverless.yml': service('billing', fns),
      'billing/h.ts': targets.map((t) => `export const ${t} = async () => 1;`).join('\n'),
      'big/serverless.yml': service(
        'big',
        `  caller:\n    handler: h.caller\n    calling:\n${targets.map((t) => `      - billing:${t}\n`).join('')}`,
      ),
      'big/h.ts': 'export const caller = async () => 1;',
    });
    const project = await loadProject([p.dir], OPTS);
    const g = generate(project);
    const docs = g.policies['big:caller']!;
    // Inline first (≤ 10,240 characters), then managed policies (≤ 6,144 each); the CloudFormation
    // rendering (longer placeholders) may need more parts than the concrete one.
    expect(docs.length).toBeGreaterThan(1);
    expect(JSON.stringify(docs[0]).length).toBeLessThanOrEqual(10_240);
    for (const d of docs.slice(1)) expect(JSON.stringify(d).length).toBeLessThanOrEqual(6_144);
    const cf = g.cloudformation['big'] as { Resources: Record<string, { Type?: string }> };
    expect(Object.values(cf.Resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy')).toHaveLength(
      g.templatePolicies['big:caller']!.length - 1,
    );
    const list = checks(project).filter((c) => c.caller === 'big:caller' && !c.action.startsWith('sns'));
    const wrong: string[] = [];
    for (const c of list) {
      const got = await evaluate(docs, c);
      if (got !== c.expected) wrong.push(`${c.action} ${c.resource}: ${got}`);
    }
    expect(wrong).toEqual([]);
    // billing-alice-f1 must not be granted by a prefix: the names sharing a prefix stay denied.
    expect(
      await evaluate(docs, {
        caller: 'big:caller',
        action: 'lambda:InvokeFunction',
        resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:billing-alice-f0`,
        expected: 'ImplicitlyDenied',
      }),
    ).toBe('ImplicitlyDenied');
  });

  it('fails with POLICY_TOO_LARGE instead of widening when even managed policies cannot hold it', async () => {
    const targets = Array.from({ length: 400 }, (_, i) => `f${i}`);
    using p = tempProject({
      'billing/serverless.yml': service('billing', targets.map((t) => `  ${t}:\n    handler: h.${t}\n`).join('')),
      'billing/h.ts': targets.map((t) => `export const ${t} = async () => 1;`).join('\n'),
      'big/serverless.yml': service(
        'big',
        `  caller:\n    handler: h.caller\n    calling:\n${targets.map((t) => `      - billing:${t}\n`).join('')}`,
      ),
      'big/h.ts': 'export const caller = async () => 1;',
    });
    const project = await loadProject([p.dir], OPTS);
    let err: unknown;
    try {
      generate(project);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'POLICY_TOO_LARGE' });
    const d = (err as { diagnostics: { line: number; message: string }[] }).diagnostics;
    expect(d.map((x) => x.message)).toEqual([
      expect.stringMatching(
        /^big:caller calls 400 functions across 2 stage\(s\); its exact policy needs the inline policy plus \d+ managed policies, but a role may have 10\. svc-mesh does not widen grants to wildcards/,
      ),
    ]);
    expect(d[0]!.line).toBe(8);
  });
});
