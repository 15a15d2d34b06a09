/**
 * `svc-mesh invoke <service:function> --data '{…}' [--stage] [--endpoint] [--async]`:
 * resolves the target like a handler would (discovery per stage chain) and invokes it
 * through the runtime SDK. Prints the JSON result; on a function error prints the typed
 * error and exits 1. Works against the local mesh (`--endpoint` or AWS_ENDPOINT_URL) and
 * against AWS when no endpoint is set.
 */
import { InvalidConfigError } from '../../errors/InvalidConfigError.js';
import { isValidStage, parseTarget } from '../../internal/names.js';

export interface InvokeCliOptions {
  data?: string;
  stage?: string;
  stageFallback?: string;
  endpoint?: string;
  region?: string;
  async?: boolean;
}

export async function run(target: string, opts: InvokeCliOptions = {}): Promise<void> {
  parseTarget(target);
  const env = process.env;
  const raw = opts.data === undefined ? 'null' : String(opts.data);
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch (err) {
    throw new InvalidConfigError('--data', `--data is not JSON (${(err as Error).message}): ${raw.slice(0, 80)}`);
  }
  const stage = opts.stage ?? env['SVC_MESH_STAGE'] ?? 'dev';
  if (!isValidStage(stage)) throw new InvalidConfigError('--stage', `--stage '${stage}' is not a valid stage.`);
  const fallbackRaw = opts.stageFallback ?? env['SVC_MESH_STAGE_FALLBACK'] ?? '';
  const stageFallback = fallbackRaw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const endpoint = opts.endpoint ?? env['AWS_ENDPOINT_URL_LAMBDA'] ?? env['AWS_ENDPOINT_URL'];
  if (endpoint !== undefined) {
    try {
      new URL(endpoint);
    } catch {
      throw new InvalidConfigError('--endpoint', `--endpoint '${endpoint}' is not a URL (e.g. http://127.0.0.1:4710).`);
    }
  }
  const region = opts.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? (endpoint ? 'us-east-1' : undefined);
  // Against the local mesh any key works; against AWS the default credential chain applies.
  const credentials =
    endpoint !== undefined && env['AWS_ACCESS_KEY_ID'] === undefined && env['AWS_PROFILE'] === undefined
      ? { accessKeyId: 'svc-mesh-cli', secretAccessKey: 'svc-mesh-cli' }
      : undefined;

  const { createSdk } = await import('../../index.js');
  const sdk = createSdk({
    stage,
    stageFallback,
    calling: null,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(region === undefined ? {} : { region }),
    ...(credentials === undefined ? {} : { credentials }),
  });
  try {
    const { withCliSpan } = await import('./invokeTrace.js');
    const result = await withCliSpan(endpoint, target, () =>
      opts.async ? sdk.invokeAsync(target as never, input as never) : sdk.invoke(target as never, input as never),
    );
    process.stdout.write(`${JSON.stringify(result ?? null, null, 2)}\n`);
  } catch (err) {
    const e = err as Error & {
      code?: string;
      errorType?: string;
      requestId?: string;
      remoteCode?: string;
      remoteData?: unknown;
      root?: { target: string; errorType: string; message: string; code?: string };
    };
    const lines = [`${e.name}${e.code ? ` [${e.code}]` : ''}: ${e.message}`];
    if (e.errorType !== undefined)
      lines.push(`  errorType: ${e.errorType}${e.remoteCode ? ` (code ${e.remoteCode})` : ''}`);
    const root = e.root;
    if (root !== undefined && root.target !== target)
      lines.push(
        `  root cause: ${root.target}: ${root.errorType}${root.code ? ` [${root.code}]` : ''}: ${root.message}`,
      );
    if (e.remoteData !== undefined && root?.target === target)
      lines.push(`  remoteData: ${JSON.stringify(e.remoteData)}`);
    if (e.requestId !== undefined) lines.push(`  requestId: ${e.requestId}`);
    process.stderr.write(`${lines.join('\n')}\n`);
    process.exitCode = 1;
  }
}
