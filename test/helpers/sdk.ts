/**
 * The Sdk as the runtime tests build it against a wire server (test/helpers/wire-server.ts):
 * the local test credentials, no `AWS_*` or `SVC_MESH_*` read from this process's environment.
 */
import { type Sdk, createSdk } from '../../src/invoke/Sdk.js';
import type { SdkConfig } from '../../src/internal/config.js';
import type { WireServer } from './wire-server.js';

export function wireSdk(ws: WireServer, cfg: SdkConfig = {}): Sdk {
  return createSdk({
    region: 'us-east-1',
    endpoint: ws.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    env: {},
    ...cfg,
  });
}

/** What `p` rejects with; an Error saying so when it resolves instead. */
export const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => new Error('resolved, expected a rejection'),
    (e: unknown) => e,
  );
