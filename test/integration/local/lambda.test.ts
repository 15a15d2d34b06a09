import { InvokeCommand } from '@aws-sdk/client-lambda';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import { clients, decode, spec, until } from './helpers.js';

/** Whether a process exists (signal 0 only checks). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let mesh: LocalMesh;
const dryRecord = join(mkdtempSync(join(tmpdir(), 'svc-mesh-dryrun-')), 'runs.jsonl');
let lambda: ReturnType<typeof clients>['lambda'];

beforeAll(async () => {
  mesh = await startLocalMesh({
    quiet: true,
    tracing: false,
    functions: [
      spec('echo', 'echo.ts', 'handler', { environment: { GREETING: 'hi' }, timeout: 10, memorySize: 256 }),
      spec('undef', 'echo.ts', 'returnsUndefined'),
      spec('logs', 'echo.ts', 'logs'),
      spec('big', 'echo.ts', 'big'),
      spec('notFn', 'echo.ts', 'notAFunction'),
      spec('noExport', 'echo.ts', 'missing'),
      spec('throws', 'faults.ts', 'throws'),
      spec('throwsString', 'faults.ts', 'throwsString'),
      spec('sleeps', 'faults.ts', 'sleeps', { timeout: 1 }),
      spec('spins', 'faults.ts', 'spins', { timeout: 1 }),
      spec('exits', 'faults.ts', 'exits'),
      spec('uncaught', 'faults.ts', 'uncaught'),
      spec('hog', 'faults.ts', 'hogsMemory', { memorySize: 128, timeout: 30 }),
      spec('pid', 'faults.ts', 'pid'),
      spec('initFails', 'initfails.ts', 'handler'),
      spec('syntax', 'bad-syntax.ts', 'handler'),
      spec('missingFile', 'does-not-exist.ts', 'handler'),
      spec('reserved', 'faults.ts', 'sleeps', { reservedConcurrency: 1 }),
      spec('zero', 'faults.ts', 'pid', { reservedConcurrency: 0 }),
      // Invoked by the DryRun test only: records every run in a file.
      spec('dry', 'record.ts', 'handler', { environment: { RECORD_FILE: dryRecord } }),
    ],
  });
  lambda = clients(mesh.endpoint).lambda;
});
afterAll(async () => {
  await mesh?.stop();
});

const invoke = (
  FunctionName: string,
  payload?: unknown,
  extra: Partial<ConstructorParameters<typeof InvokeCommand>[0]> = {},
) =>
  lambda.send(
    new InvokeCommand({
      FunctionName,
      ...(payload === undefined ? {} : { Payload: JSON.stringify(payload) }),
      ...extra,
    }),
  );

describe('Lambda Invoke: RequestResponse', () => {
  it('runs the handler with the Lambda context and environment', async () => {
    const out = await invoke('fx-dev-echo', { a: 1 });
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    const body = decode(out.Payload) as Record<string, any>;
    expect(body['event']).toEqual({ a: 1 });
    expect(body['requestId']).toBe(out.$metadata.requestId);
    expect(body['invokedFunctionArn']).toBe('arn:aws:lambda:us-east-1:000000000000:function:fx-dev-echo');
    expect(body['functionName']).toBe('fx-dev-echo');
    expect(body['memoryLimitInMB']).toBe('256');
    expect(body['remaining']).toBeGreaterThan(0);
    expect(body['remaining']).toBeLessThanOrEqual(10_000);
    expect(body['env']).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: 'fx-dev-echo',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: mesh.endpoint,
      SVC_MESH_STAGE: 'dev',
      GREETING: 'hi',
      TZ: ':UTC',
    });
    expect(body['env'].AWS_ACCESS_KEY_ID).toMatch(/^LOCAL[0-9A-F]+$/);
    expect(body['traceId']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  });

  it('accepts every FunctionName form and $LATEST', async () => {
    for (const name of [
      'fx-dev-echo',
      'fx-dev-echo:$LATEST',
      'arn:aws:lambda:us-east-1:000000000000:function:fx-dev-echo',
      '000000000000:function:fx-dev-echo',
    ]) {
      const out = await invoke(name, {});
      expect(out.StatusCode, name).toBe(200);
    }
    const q = await invoke('fx-dev-echo', {}, { Qualifier: '$LATEST' });
    expect((decode(q.Payload) as any).invokedFunctionArn).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:fx-dev-echo:$LATEST',
    );
  });

  it('reuses a warm worker', async () => {
    const a = decode((await invoke('fx-dev-pid')).Payload);
    const b = decode((await invoke('fx-dev-pid')).Payload);
    expect(a).toBe(b);
  });

  it('passes the X-Amzn-Trace-Id through and the ClientContext for sync calls', async () => {
    const cc = Buffer.from(JSON.stringify({ custom: { caller: 'a:b' } })).toString('base64');
    lambda.middlewareStack.add(
      (next) => async (args: any) => {
        args.request.headers['x-amzn-trace-id'] =
          'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
        return next(args);
      },
      { step: 'build', name: 'addTrace' },
    );
    try {
      const out = await invoke('fx-dev-echo', null, { ClientContext: cc });
      const body = decode(out.Payload) as any;
      expect(body.clientContext).toEqual({ custom: { caller: 'a:b' } });
      expect(body.event).toBeNull();
      expect(body.traceId).toBe('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
    } finally {
      lambda.middlewareStack.remove('addTrace');
    }
  });

  it('gives an empty payload as {} and undefined results as null', async () => {
    const e = decode((await invoke('fx-dev-echo')).Payload) as any;
    expect(e.event).toEqual({});
    const u = await invoke('fx-dev-undef', {});
    expect(new TextDecoder().decode(u.Payload)).toBe('null');
  });

  it('returns the log tail when asked', async () => {
    const out = await invoke('fx-dev-logs', { lines: 2 }, { LogType: 'Tail' });
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    expect(log).toContain('START RequestId:');
    expect(log).toContain('line 1');
    expect(log).toContain('REPORT RequestId:');
  });
});

describe('Lambda Invoke: function errors (HTTP 200, X-Amz-Function-Error)', () => {
  it('reports a thrown error as Unhandled with errorType, errorMessage and trace', async () => {
    const out = await invoke('fx-dev-throws', { message: 'no funds' });
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const body = decode(out.Payload) as any;
    expect(body.errorType).toBe('PaymentDeclined');
    expect(body.errorMessage).toBe('no funds');
    expect(Array.isArray(body.trace)).toBe(true);
  });

  it('reports a thrown non-Error like the Node runtime', async () => {
    const body = decode((await invoke('fx-dev-throwsString')).Payload) as any;
    expect(body).toEqual({ errorType: 'string', errorMessage: 'plain string', trace: [] });
  });

  it('times out with Sandbox.Timedout exactly and kills the worker', async () => {
    const warm = decode((await invoke('fx-dev-sleeps', { ms: 1 })).Payload) as { pid: number };
    expect(mesh.workerPids('fx-dev-sleeps')).toEqual([warm.pid]);
    const out = await invoke('fx-dev-sleeps', { ms: 5000 });
    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${out.$metadata.requestId} Error: Task timed out after 1.00 seconds`,
    });
    // The timed-out sandbox's process is gone, and the next call runs in a new one.
    expect(mesh.workerPids('fx-dev-sleeps')).not.toContain(warm.pid);
    await until(() => !alive(warm.pid));
    const ok = decode((await invoke('fx-dev-sleeps', { ms: 1 })).Payload) as { slept: number; pid: number };
    expect(ok.slept).toBe(1);
    expect(ok.pid).not.toBe(warm.pid);
  });

  it('stops a handler that never yields', async () => {
    const out = await invoke('fx-dev-spins', {});
    expect((decode(out.Payload) as any).errorType).toBe('Sandbox.Timedout');
  });

  it('answers Runtime.ExitError when the process exits, and the mesh keeps serving', async () => {
    const out = await invoke('fx-dev-exits', { code: 3 });
    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${out.$metadata.requestId} Error: Runtime exited with error: exit status 3`,
    });
    expect((await invoke('fx-dev-echo', {})).StatusCode).toBe(200);
  });

  it('answers Runtime.OutOfMemory when the handler exhausts its memory', async () => {
    const out = await invoke('fx-dev-hog', {});
    expect(out.FunctionError).toBe('Unhandled');
    const body = decode(out.Payload) as any;
    expect(body.errorType).toBe('Runtime.OutOfMemory');
    expect(body.errorMessage).toMatch(
      new RegExp(`^RequestId: ${out.$metadata.requestId} Error: Runtime exited with error: signal: SIGABRT`),
    );
  }, 30_000);

  it('fails the invocation on an uncaught exception and replaces the worker', async () => {
    const before = decode((await invoke('fx-dev-uncaught', { pid: true })).Payload) as number;
    expect(mesh.workerPids('fx-dev-uncaught')).toEqual([before]);
    const out = await invoke('fx-dev-uncaught', {});
    expect(out.FunctionError).toBe('Unhandled');
    expect((decode(out.Payload) as any).errorMessage).toBe('thrown later');
    expect(mesh.workerPids('fx-dev-uncaught')).not.toContain(before);
    await until(() => !alive(before));
    const after = decode((await invoke('fx-dev-uncaught', { pid: true })).Payload) as number;
    expect(after).not.toBe(before);
    expect(alive(after)).toBe(true);
  });

  it('answers init errors as Lambda does', async () => {
    const cases: [string, string, RegExp][] = [
      ['fx-dev-missingFile', 'Runtime.ImportModuleError', /Cannot find module/],
      ['fx-dev-noExport', 'Runtime.HandlerNotFound', /missing is undefined or not exported/],
      ['fx-dev-notFn', 'Runtime.HandlerNotFound', /notAFunction is not a function/],
      ['fx-dev-syntax', 'Runtime.UserCodeSyntaxError', /SyntaxError/],
      ['fx-dev-initFails', 'Error', /cannot load configuration/],
    ];
    for (const [name, type, msg] of cases) {
      const out = await invoke(name, {});
      expect(out.StatusCode, name).toBe(200);
      expect(out.FunctionError, name).toBe('Unhandled');
      const body = decode(out.Payload) as any;
      expect(body.errorType, name).toBe(type);
      expect(body.errorMessage, name).toMatch(msg);
    }
  });

  it('answers Function.ResponseSizeTooLarge for results over 6 MB', async () => {
    const out = await invoke('fx-dev-big', { bytes: 6_300_000 });
    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toEqual({
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
    });
  });
});

describe('Lambda Invoke: Event and DryRun', () => {
  it('answers 202 for Event and runs it in the background', async () => {
    const seen = new Promise<string>((resolve) => {
      const off = mesh.onInvoke((r) => {
        if (r.functionName === 'fx-dev-echo' && r.type === 'Event') {
          off();
          resolve(r.requestId);
        }
      });
    });
    const out = await invoke('fx-dev-echo', { async: true }, { InvocationType: 'Event' });
    expect(out.StatusCode).toBe(202);
    expect(out.Payload).toBeFalsy();
    expect(await seen).toBe(out.$metadata.requestId);
  });

  it('answers 204 for DryRun without running anything', async () => {
    // Watch the whole window until the mesh is idle (nothing running, queued or retrying), not just
    // until the 204: an invocation enqueued by DryRun would run after the answer.
    const runs: string[] = [];
    const off = mesh.onInvoke((r) => {
      if (r.functionName === 'fx-dev-dry') runs.push(r.type);
    });
    try {
      const out = await invoke('fx-dev-dry', { dry: true }, { InvocationType: 'DryRun' });
      expect(out.StatusCode).toBe(204);
      await mesh.idle();
      expect(runs).toEqual([]);
      expect(existsSync(dryRecord)).toBe(false); // the handler never ran
      expect(mesh.workerPids('fx-dev-dry')).toEqual([]); // no sandbox was even started
      // The same observations see a real run (so the checks above can fail).
      expect((await invoke('fx-dev-dry', { real: true })).StatusCode).toBe(200);
      await mesh.idle();
      expect(runs).toEqual(['RequestResponse']);
      expect(
        readFileSync(dryRecord, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).event),
      ).toEqual([{ real: true }]);
    } finally {
      off();
    }
  });
});

describe('Lambda Invoke: service errors', () => {
  const fails = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err as Error & { $metadata: { httpStatusCode: number }; Reason?: string };
    }
    throw new Error('expected an error');
  };

  it('ResourceNotFoundException for an unknown function', async () => {
    const e = await fails(invoke('fx-dev-nope', {}));
    expect(e.name).toBe('ResourceNotFoundException');
    expect(e.$metadata.httpStatusCode).toBe(404);
    expect(e.message).toContain('Function not found: arn:aws:lambda:us-east-1:000000000000:function:fx-dev-nope');
  });

  it('ResourceNotFoundException for another region and for versions or aliases', async () => {
    const r = await fails(invoke('arn:aws:lambda:eu-west-1:000000000000:function:fx-dev-echo', {}));
    expect(r.name).toBe('ResourceNotFoundException');
    expect(r.message).toBe("Functions from 'eu-west-1' are not reachable in this region ('us-east-1')");
    const v = await fails(invoke('fx-dev-echo:live', {}));
    expect(v.name).toBe('ResourceNotFoundException');
  });

  it('InvalidParameterValueException when the qualifiers disagree', async () => {
    const e = await fails(invoke('fx-dev-echo:v1', {}, { Qualifier: 'v2' }));
    expect(e.name).toBe('InvalidParameterValueException');
    expect(e.message).toBe('The derived qualifier from the function name does not match the specified qualifier.');
  });

  it('InvalidRequestContentException for a malformed ClientContext or payload', async () => {
    for (const cc of ['not base64!', Buffer.from('[1,2]').toString('base64'), Buffer.from('{bad').toString('base64')]) {
      const e = await fails(invoke('fx-dev-echo', {}, { ClientContext: cc }));
      expect(e.name).toBe('InvalidRequestContentException');
      expect(e.message).toBe('Client context must be a valid Base64-encoded JSON object.');
      expect(e.$metadata.httpStatusCode).toBe(400);
    }
    const p = await fails(
      lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-echo', Payload: new TextEncoder().encode('{not json') })),
    );
    expect(p.name).toBe('InvalidRequestContentException');
    expect(p.message).toMatch(/^Could not parse request body into json/);
  });

  it('413 RequestEntityTooLargeException over 6 MB sync and 1 MB async', async () => {
    const sync = await fails(invoke('fx-dev-echo', 'x'.repeat(6_291_457)));
    expect(sync.name).toBe('RequestEntityTooLargeException');
    expect(sync.$metadata.httpStatusCode).toBe(413);
    const ev = await fails(invoke('fx-dev-echo', 'x'.repeat(1_048_577), { InvocationType: 'Event' }));
    expect(ev.name).toBe('RequestEntityTooLargeException');
    expect(ev.message).toBe('Request must be smaller than 1048576 bytes for the InvokeFunction operation');
    expect((await invoke('fx-dev-echo', {})).StatusCode).toBe(200);
  });

  it('429 TooManyRequestsException past reserved concurrency', async () => {
    const first = invoke('fx-dev-reserved', { ms: 1500 });
    await new Promise((r) => setTimeout(r, 300));
    let e: any;
    for (let i = 0; i < 50 && e === undefined; i++) {
      try {
        await invoke('fx-dev-reserved', { ms: 1 });
        await new Promise((r) => setTimeout(r, 20));
      } catch (err) {
        e = err;
      }
    }
    await first;
    expect(e?.name).toBe('TooManyRequestsException');
    expect(e.$metadata.httpStatusCode).toBe(429);
    expect(e.Reason).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');
    const z = await fails(invoke('fx-dev-zero', {}));
    expect(z.name).toBe('TooManyRequestsException');
  });
});

describe('Lambda: the other read and legacy operations', () => {
  it('GetFunction, GetFunctionConfiguration, ListFunctions and the deprecated InvokeAsync', async () => {
    const { GetFunctionCommand, GetFunctionConfigurationCommand, InvokeAsyncCommand, ListFunctionsCommand } =
      await import('@aws-sdk/client-lambda');
    const f = await lambda.send(new GetFunctionCommand({ FunctionName: 'fx-dev-echo' }));
    expect(f.Configuration).toMatchObject({
      FunctionName: 'fx-dev-echo',
      Timeout: 10,
      MemorySize: 256,
      Handler: expect.stringMatching(/echo\.handler$/),
    });
    expect(f.Configuration?.Environment?.Variables?.['GREETING']).toBe('hi');
    const c = await lambda.send(
      new GetFunctionConfigurationCommand({
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:fx-dev-echo',
      }),
    );
    expect(c.FunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:fx-dev-echo');
    const names: string[] = [];
    let Marker: string | undefined;
    do {
      const page = await lambda.send(new ListFunctionsCommand({ Marker, MaxItems: 5 }));
      names.push(...(page.Functions ?? []).map((x) => x.FunctionName!));
      Marker = page.NextMarker;
    } while (Marker);
    expect(names).toContain('fx-dev-echo');
    expect(names).toHaveLength(mesh.functions.length);
    const seen = new Promise<void>((resolve) => {
      const off = mesh.onInvoke((r) => {
        if (r.functionName === 'fx-dev-pid' && r.type === 'Event') {
          off();
          resolve();
        }
      });
    });
    const a = await lambda.send(
      new InvokeAsyncCommand({ FunctionName: 'fx-dev-pid', InvokeArgs: new TextEncoder().encode('{}') }),
    );
    expect(a.Status).toBe(202);
    await seen;
  });
});
