/**
 * One of examples/ on the local mesh, with an SDK pointed at it (every target allowed) and the
 * invocations it records: the set-up the example tests share.
 */
import { fileURLToPath } from 'node:url';
import { createSdk } from '../../src/index.js';
import { type InvocationRecord, type LocalMesh, startLocalMesh } from '../../tools/local/index.js';

export interface ExampleMesh {
  mesh: LocalMesh;
  sdk: ReturnType<typeof createSdk>;
  invocations: InvocationRecord[];
  /** Function output (`[service:function] line`) and mesh notices, captured instead of printed. */
  logs: string[];
}

/** Starts `examples/<name>` at stage dev on an ephemeral port. Stop it with `mesh.stop()`. */
export async function startExampleMesh(
  name: string,
  options: Partial<Parameters<typeof startLocalMesh>[0]> = {},
): Promise<ExampleMesh> {
  const dir = fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
  const logs: string[] = [];
  const mesh = await startLocalMesh({
    paths: [dir],
    stage: 'dev',
    port: 0,
    quiet: false,
    log: (line) => logs.push(line),
    tracing: false,
    ...options,
  });
  const invocations: InvocationRecord[] = [];
  mesh.onInvoke((r) => invocations.push(r));
  const sdk = createSdk({
    endpoint: mesh.endpoint,
    region: mesh.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    stage: 'dev',
    calling: null,
    env: {},
  });
  return { mesh, sdk, invocations, logs };
}
