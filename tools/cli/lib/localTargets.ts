/**
 * What a local mesh can say about a target it did not find: the functions it runs (GET
 * /_mesh/functions), the closest names to the one written, and the stage it runs. The runtime's
 * TARGET_NOT_FOUND speaks of deploying, which on a local mesh means: the service is in the
 * folder `svc-mesh dev` loads.
 */
import { closestTargets } from 'svc-mesh/internal';

interface MeshFunction {
  target: string;
  stage: string;
}

/** A svc-mesh admin answer (JSON), or undefined: another server (moto, LocalStack), or none. */
async function meshJson(endpoint: string, path: string, timeoutMs: number): Promise<unknown> {
  try {
    const res = await fetch(new URL(path, endpoint), { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.json() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `endpoint` is a svc-mesh local mesh (it answers GET /_mesh/health), not another
 * AWS-compatible server on this machine, such as moto or LocalStack.
 */
export async function isLocalMesh(endpoint: string, timeoutMs = 1000): Promise<boolean> {
  const h = await meshJson(endpoint, '/_mesh/health', timeoutMs);
  return typeof h === 'object' && h !== null && typeof (h as { status?: unknown }).status === 'string';
}

/** The functions a local mesh runs, or undefined when it does not answer within `timeoutMs`. */
export async function meshFunctions(endpoint: string, timeoutMs = 1500): Promise<MeshFunction[] | undefined> {
  const body = await meshJson(endpoint, '/_mesh/functions', timeoutMs);
  if (!Array.isArray(body)) return undefined;
  return body.filter(
    (f): f is MeshFunction =>
      typeof f === 'object' && f !== null && typeof f.target === 'string' && typeof f.stage === 'string',
  );
}

/** Lines explaining a TARGET_NOT_FOUND from the local mesh at `endpoint`; empty when it does not answer. */
export async function notFoundHints(
  endpoint: string,
  target: string,
  stage: string,
  command: (target: string) => string,
): Promise<string[]> {
  const fns = await meshFunctions(endpoint);
  if (fns === undefined) return [];
  const stages = [...new Set(fns.map((f) => f.stage))];
  const lines = [
    `  the local mesh at ${endpoint} runs ${fns.length} function${fns.length === 1 ? '' : 's'}` +
      `${stages.length ? ` (stage ${stages.join(', ')})` : ''}; it loads the services in the folder \`svc-mesh dev\` was started on.`,
  ];
  if (stages.length > 0 && !stages.includes(stage))
    lines.push(
      `  you asked for stage ${stage}: drop --stage (or SVC_MESH_STAGE) to use the mesh's stage ${stages[0]}.`,
    );
  const near = await closestTargets(
    target,
    fns.map((f) => f.target),
  );
  if (near.length > 0) {
    lines.push(`  did you mean ${near.map((t) => `'${t}'`).join(' or ')}?`);
    lines.push(`  try: ${command(near[0]!)}`);
  } else if (fns.length > 0 && fns.length <= 12) {
    lines.push(`  its functions: ${fns.map((f) => f.target).join(', ')}`);
  }
  return lines;
}
