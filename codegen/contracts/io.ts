/**
 * Reading and hashing `contracts/<service>.json`. Contracts are what crosses repository
 * boundaries: a caller builds its client and IAM from the callee's contract, not its source.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FUNCTION_NAME_RE, physicalFunctionName, SERVICE_NAME_RE } from 'svc-mesh/internal';
import type { Diagnostic } from '../errors.js';
import type {
  FunctionContract,
  FunctionModel,
  JsonSchema,
  ResolvedProjectOptions,
  ServiceContract,
  ServiceModel,
} from '../model.js';

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v as object)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** Sets `o[k]` as an own property whatever `k` is (`__proto__` included: keys are data). */
export function setOwn(o: Record<string, unknown>, k: string, x: unknown): void {
  Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
}

/** Sorts object keys recursively (for pretty, deterministic output files). */
export function sortKeys<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(sortKeys) as T;
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(v as object).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) setOwn(o, k, sortKeys(x));
  }
  return o as T;
}

/** `sha256-<base64>` over the canonical JSON of what callers depend on (functions and definitions). */
export function contractHash(
  functions: Record<string, FunctionContract>,
  definitions: Record<string, JsonSchema>,
): string {
  const h = createHash('sha256').update(canonicalJson({ definitions, functions })).digest('base64');
  return `sha256-${h}`;
}

/**
 * `required` lists sorted: reordering fields in the source is not a contract change, so it must
 * not change the hash either.
 */
function sortRequired<T>(v: T): T {
  if (Array.isArray(v)) return v.map(sortRequired) as T;
  if (v === null || typeof v !== 'object') return v;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    setOwn(
      o,
      k,
      k === 'required' && Array.isArray(x) && x.every((e) => typeof e === 'string') ? [...x].sort() : sortRequired(x),
    );
  }
  return o as T;
}

export function makeContract(
  service: string,
  functions: Record<string, FunctionContract>,
  definitions: Record<string, JsonSchema>,
): ServiceContract {
  const f = sortKeys(sortRequired(functions));
  const d = sortKeys(sortRequired(definitions));
  return { svcMesh: 1, service, hash: contractHash(f, d), functions: f, definitions: d };
}

/** Validates the shape of a parsed contract file; returns a problem or undefined. */
export function checkContractShape(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'is not a JSON object';
  const c = v as Record<string, unknown>;
  if (c['svcMesh'] !== 1) return `has svcMesh ${JSON.stringify(c['svcMesh'])}; expected 1`;
  if (typeof c['service'] !== 'string' || !SERVICE_NAME_RE.test(c['service'])) return 'has no valid "service"';
  if (typeof c['hash'] !== 'string') return 'has no "hash"';
  const fns = c['functions'];
  if (fns === null || typeof fns !== 'object' || Array.isArray(fns)) return 'has no "functions" object';
  for (const [k, f] of Object.entries(fns as Record<string, unknown>)) {
    if (!FUNCTION_NAME_RE.test(k)) return `has an invalid function key ${JSON.stringify(k)}`;
    if (f === null || typeof f !== 'object') return `function ${k} is not an object`;
  }
  if (c['definitions'] !== undefined && (typeof c['definitions'] !== 'object' || c['definitions'] === null)) {
    return '"definitions" is not an object';
  }
  return undefined;
}

/** Reads every `*.json` contract in a directory (not recursive), sorted by service. */
export async function readContractsDir(
  dir: string,
  diags: Diagnostic[],
): Promise<{ file: string; contract: ServiceContract }[]> {
  return readContractsDirSync(dir, diags);
}

/** {@link readContractsDir}, synchronously (small files; the CDK constructs run in a synchronous synth). */
export function readContractsDirSync(dir: string, diags: Diagnostic[]): { file: string; contract: ServiceContract }[] {
  const abs = resolve(dir);
  let names: string[];
  try {
    names = readdirSync(abs)
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch {
    diags.push({ file: abs, line: 1, col: 1, message: `contracts directory not found: ${dir}`, severity: 'error' });
    return [];
  }
  const out: { file: string; contract: ServiceContract }[] = [];
  for (const n of names) {
    const file = join(abs, n);
    let v: unknown;
    try {
      v = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      diags.push({ file, line: 1, col: 1, message: `not valid JSON: ${(err as Error).message}`, severity: 'error' });
      continue;
    }
    const problem = checkContractShape(v);
    if (problem !== undefined) {
      diags.push({ file, line: 1, col: 1, message: `not an svc-mesh contract: it ${problem}`, severity: 'error' });
      continue;
    }
    const c = v as ServiceContract;
    out.push({ file, contract: { ...c, definitions: c.definitions ?? {} } });
  }
  return out;
}

/** Services from other repositories, known only by their contracts (callable, subscribable). */
export async function loadExternalContracts(
  dirs: readonly string[],
  options: ResolvedProjectOptions,
  diags: Diagnostic[],
): Promise<{ services: ServiceModel[]; contracts: Record<string, ServiceContract> }> {
  return loadExternalContractsSync(dirs, options, diags);
}

/** {@link loadExternalContracts}, synchronously. */
export function loadExternalContractsSync(
  dirs: readonly string[],
  options: ResolvedProjectOptions,
  diags: Diagnostic[],
): { services: ServiceModel[]; contracts: Record<string, ServiceContract> } {
  const services: ServiceModel[] = [];
  const contracts: Record<string, ServiceContract> = {};
  const stages = [options.stage, ...options.stageFallback];
  for (const dir of dirs) {
    for (const { file, contract } of readContractsDirSync(dir, diags)) {
      const loc = { file, line: 1, col: 1 };
      contracts[contract.service] = contract;
      const functions: FunctionModel[] = Object.keys(contract.functions)
        .sort()
        .map((key) => {
          const fc = contract.functions[key]!;
          const physicalNames: Record<string, string> = {};
          for (const s of stages) physicalNames[s] = physicalFunctionName(contract.service, s, key);
          return {
            service: contract.service,
            key,
            physicalName: physicalNames[options.stage]!,
            physicalNames,
            handler: { raw: '', file: undefined, export: '' },
            runtime: 'nodejs20.x',
            timeout: 6,
            memorySize: 1024,
            environment: {},
            calling: [],
            subscribable: fc.subscribable === true,
            subscriptions: [],
            loc,
            locs: {},
          };
        });
      services.push({
        name: contract.service,
        dir,
        file,
        region: options.region,
        runtime: 'nodejs20.x',
        functions,
        loc,
        external: true,
      });
    }
  }
  return { services, contracts };
}
