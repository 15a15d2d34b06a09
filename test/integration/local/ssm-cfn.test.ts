import { ListExportsCommand } from '@aws-sdk/client-cloudformation';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import { FIXTURES, clients } from './helpers.js';

let mesh: LocalMesh;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  mesh = await startLocalMesh({
    paths: [join(FIXTURES, 'graph')],
    quiet: true,
    tracing: false,
    discovery: ['routes', 'ssm', 'exports'],
  });
  c = clients(mesh.endpoint);
});
afterAll(async () => {
  await mesh?.stop();
});

const fails = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode: number } };
  }
  throw new Error('expected an error');
};

describe('SSM Parameter Store', () => {
  it('serves the seeded discovery records', async () => {
    const out = await c.ssm.send(new GetParameterCommand({ Name: '/svc-mesh/dev/stock/reserve' }));
    const rec = JSON.parse(out.Parameter!.Value!);
    expect(rec).toMatchObject({
      v: 2,
      service: 'stock',
      function: 'reserve',
      stage: 'dev',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:stock-dev-reserve',
    });
    expect(out.Parameter?.ARN).toBe('arn:aws:ssm:us-east-1:000000000000:parameter/svc-mesh/dev/stock/reserve');
    expect(out.Parameter?.LastModifiedDate).toBeInstanceOf(Date);
  });

  it('puts, versions, overwrites, gets by selector and ARN, deletes', async () => {
    expect((await c.ssm.send(new PutParameterCommand({ Name: '/app/db', Value: 'v1', Type: 'String' }))).Version).toBe(
      1,
    );
    const dup = await fails(c.ssm.send(new PutParameterCommand({ Name: '/app/db', Value: 'v2', Type: 'String' })));
    expect(dup.name).toBe('ParameterAlreadyExists');
    const v2 = await c.ssm.send(new PutParameterCommand({ Name: '/app/db', Value: 'v2', Overwrite: true }));
    expect(v2).toMatchObject({ Version: 2, Tier: 'Standard' });
    expect((await c.ssm.send(new GetParameterCommand({ Name: '/app/db' }))).Parameter?.Value).toBe('v2');
    expect((await c.ssm.send(new GetParameterCommand({ Name: '/app/db:1' }))).Parameter).toMatchObject({
      Value: 'v1',
      Selector: ':1',
    });
    const byArn = await c.ssm.send(
      new GetParameterCommand({ Name: 'arn:aws:ssm:us-east-1:000000000000:parameter/app/db' }),
    );
    expect(byArn.Parameter?.Value).toBe('v2');
    await c.ssm.send(new DeleteParameterCommand({ Name: '/app/db' }));
    const nf = await fails(c.ssm.send(new GetParameterCommand({ Name: '/app/db' })));
    expect(nf.name).toBe('ParameterNotFound');
    expect(nf.$metadata.httpStatusCode).toBe(400);
    expect((await fails(c.ssm.send(new DeleteParameterCommand({ Name: '/app/db' })))).name).toBe('ParameterNotFound');
  });

  it('GetParameters sorts, reports missing names, and allows at most 10', async () => {
    await c.ssm.send(new PutParameterCommand({ Name: '/g/b', Value: 'b', Type: 'String' }));
    await c.ssm.send(new PutParameterCommand({ Name: '/g/a', Value: 'a', Type: 'StringList' }));
    const out = await c.ssm.send(new GetParametersCommand({ Names: ['/g/b', '/g/missing', '/g/a'] }));
    expect(out.Parameters?.map((p) => p.Name)).toEqual(['/g/a', '/g/b']);
    expect(out.InvalidParameters).toEqual(['/g/missing']);
    const e = await fails(
      c.ssm.send(new GetParametersCommand({ Names: Array.from({ length: 11 }, (_, i) => `/g/${i}`) })),
    );
    expect(e.name).toBe('ValidationException');
  });

  it('GetParametersByPath pages by at most 10 and honours Recursive', async () => {
    for (let i = 0; i < 13; i++)
      await c.ssm.send(
        new PutParameterCommand({ Name: `/p/x${String(i).padStart(2, '0')}`, Value: String(i), Type: 'String' }),
      );
    await c.ssm.send(new PutParameterCommand({ Name: '/p/deep/y', Value: 'y', Type: 'String' }));
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await c.ssm.send(new GetParametersByPathCommand({ Path: '/p', NextToken: token }));
      expect(page.Parameters!.length).toBeLessThanOrEqual(10);
      names.push(...page.Parameters!.map((p) => p.Name!));
      token = page.NextToken;
    } while (token);
    expect(names).toHaveLength(13);
    const rec = await c.ssm.send(new GetParametersByPathCommand({ Path: '/p/', Recursive: true, MaxResults: 10 }));
    const all = [...rec.Parameters!.map((p) => p.Name)];
    const rest = await c.ssm.send(
      new GetParametersByPathCommand({ Path: '/p/', Recursive: true, NextToken: rec.NextToken }),
    );
    all.push(...rest.Parameters!.map((p) => p.Name));
    expect(all).toContain('/p/deep/y');
    const bad = await fails(c.ssm.send(new GetParametersByPathCommand({ Path: '/p', MaxResults: 11 })));
    expect(bad.name).toBe('ValidationException');
  });

  it('applies the name and size rules', async () => {
    // ('/aws/x' is AccessDeniedException, as in AWS: test/integration/local/fidelity.test.ts)
    for (const Name of ['/awsx', 'ssm-thing', '/a b', 'a/b', `/${'l/'.repeat(16)}x`]) {
      const e = await fails(c.ssm.send(new PutParameterCommand({ Name, Value: 'v', Type: 'String' })));
      expect(['ValidationException', 'HierarchyLevelLimitExceededException'], Name).toContain(e.name);
    }
    const big = await fails(
      c.ssm.send(new PutParameterCommand({ Name: '/big', Value: 'x'.repeat(4097), Type: 'String' })),
    );
    expect(big.name).toBe('ValidationException');
    expect(big.message).toMatch(/^Standard tier parameters support a maximum parameter value of 4096 characters/);
    const adv = await c.ssm.send(
      new PutParameterCommand({ Name: '/big', Value: 'x'.repeat(5000), Type: 'String', Tier: 'Advanced' }),
    );
    expect(adv.Tier).toBe('Advanced');
    const noType = await fails(c.ssm.send(new PutParameterCommand({ Name: '/new', Value: 'v' })));
    expect(noType.name).toBe('ValidationException');
  });
});

describe('CloudFormation ListExports', () => {
  it('lists the seeded exports and rejects unknown actions', async () => {
    const out = await c.cfn.send(new ListExportsCommand({}));
    const reserve = out.Exports?.find((e) => e.Name === 'svc-mesh:dev:stock:reserve:FunctionArn');
    expect(reserve?.Value).toBe('arn:aws:lambda:us-east-1:000000000000:function:stock-dev-reserve');
    expect(reserve?.ExportingStackId).toMatch(/^arn:aws:cloudformation:us-east-1:000000000000:stack\/stock-dev\//);
    expect(out.NextToken).toBeUndefined();
    const bad = await fails(c.cfn.send(new ListExportsCommand({ NextToken: 'bogus' })));
    expect(bad.name).toBe('ValidationError');
    const res = await fetch(mesh.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        // unsigned, it would be MissingAuthenticationToken (test/integration/local/guard.test.ts)
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20261123/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=00',
      },
      body: 'Action=DescribeStacks&Version=2010-05-15',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidAction</Code>');
  });
});

describe('Services the mesh does not emulate', () => {
  it('names the service and how to point its client elsewhere', async () => {
    const res = await fetch(mesh.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20261123/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
      },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    const body = (await res.json()) as { message: string };
    expect(body.message).toContain("signed for 'dynamodb'");
    expect(body.message).toContain('AWS_ENDPOINT_URL_DYNAMODB');
  });
});
