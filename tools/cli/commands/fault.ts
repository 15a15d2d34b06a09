/**
 * `svc-mesh fault [specs…] [--add] [--clear] [--endpoint]`: shows or changes the faults a running
 * local mesh injects, through `POST /_mesh/faults` (docs/resiliency.md).
 */
import { InvalidConfigError } from 'svc-mesh/errors';
import { meshEndpoint } from '../lib/meshState.js';

export interface FaultCliOptions {
  add?: boolean;
  clear?: boolean;
  endpoint?: string;
}

export async function run(specs: string[], opts: FaultCliOptions = {}): Promise<void> {
  const endpoint = meshEndpoint(opts.endpoint);
  let url: URL;
  try {
    url = new URL('/_mesh/faults', endpoint);
  } catch {
    throw new InvalidConfigError('--endpoint', `--endpoint '${endpoint}' is not a URL (e.g. http://127.0.0.1:4710).`);
  }
  if (opts.clear && specs.length > 0)
    throw new InvalidConfigError('--clear', '--clear takes no specs: run `svc-mesh fault --clear` alone.');
  const change = opts.clear ? { clear: true } : specs.length > 0 ? { [opts.add ? 'add' : 'set']: specs } : undefined;
  let res: Response;
  try {
    res = await fetch(
      url,
      change === undefined
        ? {}
        : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(change) },
    );
  } catch (err) {
    throw new InvalidConfigError(
      '--endpoint',
      `No local mesh answers at ${endpoint} (${(err as Error).message}). Start one with \`svc-mesh dev\`, or pass --endpoint.`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as {
    message?: string;
    rules?: string[];
    stats?: { spec: string; matched: number; injected: number }[];
  };
  if (!res.ok) {
    process.stderr.write(`svc-mesh fault: ${body.message ?? `HTTP ${res.status}`}\n`);
    process.exitCode = 1;
    return;
  }
  const rules = body.rules ?? [];
  process.stdout.write(rules.length === 0 ? 'No faults injected.\n' : `Injecting: ${rules.join(', ')}\n`);
  for (const s of body.stats ?? [])
    process.stdout.write(`  ${s.spec}: ${s.injected} injected of ${s.matched} matching calls\n`);
}
