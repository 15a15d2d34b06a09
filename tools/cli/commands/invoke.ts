/**
 * `svc-mesh invoke <service:function> --data '{…}' [--stage] [--endpoint] [--aws] [--async]`:
 * resolves the target like a handler would (discovery per stage chain) and invokes it through the
 * runtime SDK. Prints the JSON result; on a function error prints the typed error and exits 1.
 *
 * Where it goes, in order: `--endpoint`; `AWS_ENDPOINT_URL_LAMBDA` / `AWS_ENDPOINT_URL`; the
 * `svc-mesh dev` running from this folder or a parent (its `.svc-mesh/dev.json`); real AWS only
 * with `--aws`, after printing the region and the function ARN (so its account) it calls. Without
 * any of these it refuses: a pasted command never reaches a real account by accident.
 */
import { InvalidConfigError } from 'svc-mesh/errors';
import { isLoopbackUrl, isValidStage, LOCAL_DEVELOPER_CREDENTIALS, parseTarget } from 'svc-mesh/internal';
import { terminalSafe } from '../../local/terminal.js';
import { isLocalMesh, notFoundHints } from '../lib/localTargets.js';
import { findMeshState } from '../lib/meshState.js';

/** `s` as one POSIX shell word. */
const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export interface InvokeCliOptions {
  data?: string;
  stage?: string;
  stageFallback?: string;
  endpoint?: string;
  region?: string;
  async?: boolean;
  /** Explicit opt-in to call the functions deployed in AWS. */
  aws?: boolean;
}

export async function run(target: string, opts: InvokeCliOptions = {}): Promise<void> {
  parseTarget(target);
  const env = process.env;
  const raw = opts.data === undefined ? '{}' : String(opts.data);
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch (err) {
    throw new InvalidConfigError('--data', `--data is not JSON (${(err as Error).message}): ${raw.slice(0, 80)}`);
  }
  const fallbackRaw = opts.stageFallback ?? env['SVC_MESH_STAGE_FALLBACK'] ?? '';
  const stageFallback = fallbackRaw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

  let endpoint: string | undefined;
  let where: string;
  let fromMeshState = false;
  let meshStage: string | undefined;
  if (opts.endpoint !== undefined) [endpoint, where] = [String(opts.endpoint), '--endpoint'];
  else if (env['AWS_ENDPOINT_URL_LAMBDA'] ?? env['AWS_ENDPOINT_URL']) {
    endpoint = env['AWS_ENDPOINT_URL_LAMBDA'] ?? env['AWS_ENDPOINT_URL'];
    where = env['AWS_ENDPOINT_URL_LAMBDA'] ? 'AWS_ENDPOINT_URL_LAMBDA' : 'AWS_ENDPOINT_URL';
  } else {
    const mesh = opts.aws ? undefined : findMeshState(process.cwd());
    if (mesh !== undefined) [endpoint, where, meshStage, fromMeshState] = [mesh.endpoint, mesh.file, mesh.stage, true];
    else where = 'AWS';
  }
  if (endpoint !== undefined && opts.aws)
    throw new InvalidConfigError(
      '--aws',
      `--aws calls the functions deployed in AWS, but an endpoint is set (${where}: ${endpoint}). ` +
        `Drop one of them${where.startsWith('AWS_ENDPOINT') ? ` (unset ${where})` : ''}.`,
    );
  if (endpoint === undefined && !opts.aws)
    throw new InvalidConfigError(
      '--aws',
      'No local mesh is running here (no .svc-mesh/dev.json in this folder or a parent) and no endpoint is set, ' +
        'so there is nothing to invoke. Start one in another terminal with: npx svc-mesh dev . ' +
        '(or pass --endpoint http://127.0.0.1:4710). To call the functions deployed in AWS instead, add --aws ' +
        '(your AWS credentials and region: AWS_PROFILE, AWS_REGION or --region).',
    );
  let url: URL | undefined;
  if (endpoint !== undefined) {
    try {
      url = new URL(endpoint);
    } catch {
      throw new InvalidConfigError('--endpoint', `--endpoint '${endpoint}' is not a URL (e.g. http://127.0.0.1:4710).`);
    }
  }
  const stage = opts.stage ?? env['SVC_MESH_STAGE'] ?? meshStage ?? 'dev';
  if (!isValidStage(stage)) throw new InvalidConfigError('--stage', `--stage '${stage}' is not a valid stage.`);
  const region = opts.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? (endpoint ? 'us-east-1' : undefined);
  if (region === undefined)
    throw new InvalidConfigError(
      '--region',
      '--aws needs a region: pass --region us-east-1 or set AWS_REGION (or a region in your AWS profile via AWS_REGION).',
    );

  // A local mesh (not moto or LocalStack on this machine): the one found from this folder, or
  // a loopback endpoint that answers as one. Only a mesh records and shows the command's trace.
  const localMesh =
    endpoint !== undefined &&
    url !== undefined &&
    isLoopbackUrl(url) &&
    (fromMeshState || (await isLocalMesh(endpoint)));
  const { createSdk } = await import('svc-mesh');
  const sdk = createSdk({
    stage,
    stageFallback,
    calling: null,
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    // A non-loopback endpoint (LocalStack on another host, say) signs with the default chain, like AWS.
    ...(url !== undefined &&
    !isLoopbackUrl(url) &&
    env['AWS_ACCESS_KEY_ID'] === undefined &&
    env['AWS_PROFILE'] === undefined
      ? { credentials: { ...LOCAL_DEVELOPER_CREDENTIALS } }
      : {}),
  });
  try {
    if (opts.aws) {
      const resolved = await sdk.resolve(target, stage);
      const account = /^arn:[^:]+:lambda:[^:]*:(\d{12}):/.exec(resolved.functionArn)?.[1];
      process.stderr.write(
        `svc-mesh invoke: calling AWS${env['AWS_PROFILE'] ? ` with profile ${env['AWS_PROFILE']}` : ''}: ` +
          `region ${region}${account ? `, account ${account}` : ''}, ${resolved.functionArn} (stage ${resolved.stage ?? stage})\n`,
      );
    }
    // The runtime's own warm-up and its SSM client (discovery's), before the command's span
    // starts, so the trace shows the call, not Node loading and building the AWS clients (a
    // failure there is the call's to report).
    await Promise.all([sdk.prime(), sdk.clients.ssm()]).catch(() => undefined);
    const { withCliSpan } = await import('./invokeTrace.js');
    const result = await withCliSpan(localMesh ? endpoint : undefined, target, () =>
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
    if (e.remoteData !== undefined && (root === undefined || root.target === target))
      lines.push(`  remoteData: ${JSON.stringify(e.remoteData)}`);
    if (e.requestId !== undefined) lines.push(`  requestId: ${e.requestId}`);
    if (e.code === 'TARGET_NOT_FOUND' && localMesh && endpoint !== undefined) {
      const command = (t: string) =>
        ['npx svc-mesh invoke', shellWord(t), '--data', shellWord(raw)]
          .concat(where === '--endpoint' ? ['--endpoint', shellWord(endpoint)] : [])
          .concat(opts.async ? ['--async'] : [])
          .join(' ');
      lines.push(...(await notFoundHints(endpoint, target, stage, command)));
    }
    // the error's message and type come from the function (and its callers' input)
    process.stderr.write(`${lines.map((l) => terminalSafe(l)).join('\n')}\n`);
    process.exitCode = 1;
  }
}
