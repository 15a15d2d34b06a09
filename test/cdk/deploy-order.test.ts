/**
 * Deploy order in the CDK front end (docs/deploy.md): a subscriber's stack depends on the stacks
 * of its publishers in the same app, and carries an `AWS::SSM::Parameter::Value<String>`
 * parameter per publisher in another stack (CloudFormation refuses the stack while the record is
 * missing; shown on moto in test/deploy/cdk.moto.test.ts). The real aws-cdk-lib, in process.
 */
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { SvcMesh, type SvcMeshFunctionDeclaration, SvcMeshFunction } from '../../codegen/cdk/index.js';

const SHOP = join(import.meta.dirname, '../../examples/shop');

function fn(stack: Stack, id: string, mesh: SvcMesh, decl: SvcMeshFunctionDeclaration) {
  const f = new lambda.Function(stack, id, {
    code: lambda.Code.fromInline('exports.h = async () => ({})'),
    handler: 'index.h',
    runtime: lambda.Runtime.NODEJS_22_X,
  });
  return new SvcMeshFunction(stack, `${id}Mesh`, { mesh, function: f, ...decl });
}
const on = (service: string, name: string) => [{ function: { service, name, type: 'success' as const } }];
const params = (s: Stack) =>
  Object.entries(
    (Template.fromStack(s).toJSON() as { Parameters?: Record<string, { Type: string; Default: string }> }).Parameters ??
      {},
  )
    .filter(([k]) => k.startsWith('SvcMesh'))
    .map(([k, p]) => `${k} ${p.Type} ${p.Default}`);
const deps = (s: Stack) => s.dependencies.map((d) => d.stackName);

describe('CDK deploy order', () => {
  it('publisher in another stack of the app: a stack dependency and a parameter on its record; in the same stack: neither', () => {
    const app = new App();
    const mesh = new SvcMesh(app, 'SvcMesh', { stage: 'dev' });
    const pub = new Stack(app, 'pub-dev');
    const sub = new Stack(app, 'sub-dev');
    fn(pub, 'Emit', mesh, { service: 'pub', name: 'emit', subscribable: true });
    fn(pub, 'Local', mesh, { service: 'pub', name: 'local', events: on('pub', 'emit') });
    fn(sub, 'Listen', mesh, { service: 'sub', name: 'listen', events: on('pub', 'emit') });
    fn(sub, 'Again', mesh, {
      service: 'sub',
      name: 'again',
      events: [{ function: { service: 'pub', name: 'emit', type: 'failed' } }],
    });
    app.synth();
    expect(deps(sub)).toEqual(['pub-dev']);
    expect(deps(pub)).toEqual([]);
    // One parameter per publisher, however many subscriptions to it.
    expect(params(sub)).toEqual([
      'SvcMeshPublisherpubemitRecord AWS::SSM::Parameter::Value<String> /svc-mesh/dev/pub/emit',
    ]);
    expect(params(pub)).toEqual([]);
    const rules = (Template.fromStack(sub).toJSON() as { Rules: Record<string, { Assertions: unknown[] }> }).Rules;
    expect(JSON.stringify(rules['SvcMeshDeployOrder'])).toContain('{"Ref":"SvcMeshPublisherpubemitRecord"}');
  });

  it('publisher in serverless.yml (a reference): a parameter on its record in the stage, no dependency', () => {
    const app = new App();
    const mesh = new SvcMesh(app, 'SvcMesh', {
      stage: 'alice',
      stageFallback: ['dev'],
      references: [join(SHOP, 'payments')],
    });
    const sub = new Stack(app, 'sub-alice');
    fn(sub, 'Listen', mesh, {
      service: 'sub',
      name: 'listen',
      events: [{ function: { service: 'payments', name: 'charge', type: 'failed' } }],
    });
    app.synth();
    expect(deps(sub)).toEqual([]);
    // The subscriber's own stage, as the topic it subscribes to (never dev's).
    expect(params(sub)).toEqual([
      'SvcMeshPublisherpaymentschargeRecord AWS::SSM::Parameter::Value<String> /svc-mesh/alice/payments/charge',
    ]);
  });

  it('two stacks subscribing to each other: the second direction gets no check, and synth warns', () => {
    const app = new App();
    const mesh = new SvcMesh(app, 'SvcMesh', { stage: 'dev' });
    const a = new Stack(app, 'a-dev');
    const b = new Stack(app, 'b-dev');
    fn(a, 'A', mesh, { service: 'a', name: 'fa', subscribable: true, events: on('b', 'fb') });
    fn(b, 'B', mesh, { service: 'b', name: 'fb', subscribable: true, events: on('a', 'fa') });
    app.synth();
    expect(deps(a)).toEqual(['b-dev']);
    expect(params(a)).toHaveLength(1);
    expect(deps(b)).toEqual([]);
    expect(params(b)).toEqual([]);
    const warnings = b.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === 'aws:cdk:warning');
    expect(JSON.stringify(warnings)).toMatch(
      /b-dev\/BMesh subscribes to a:fa in stack a-dev, which cannot be deployed before b-dev/,
    );
    expect(JSON.stringify(warnings)).toContain('svc-codegen doctor cdk.out --stage dev --repair');
  });
});
