/**
 * Names shared by the runtime, codegen and the local mesh: targets, physical names,
 * lifecycle topics, SSM discovery records and CloudFormation export names.
 * See docs/architecture.md for the contract.
 * @internal
 */
import { DiscoveryRecordError } from '../errors/DiscoveryRecordError.js';
import { InvalidTargetError } from '../errors/InvalidTargetError.js';

export const SERVICE_NAME_RE = /^[A-Za-z][A-Za-z0-9-]*$/;
export const FUNCTION_NAME_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;
export const STAGE_NAME_RE = /^[A-Za-z0-9-]+$/;
/** Lambda's own limit for a function name. */
export const MAX_FUNCTION_NAME_LENGTH = 64;
export const LIFECYCLE_TYPES = ['start', 'success', 'failed'] as const;
export type LifecycleType = (typeof LIFECYCLE_TYPES)[number];
export const DEFAULT_SSM_PREFIX = '/svc-mesh';
/**
 * Where discovery looks when nothing says otherwise, for the runtime and codegen alike (codegen
 * grants exactly these reads): explicit routes, then SSM records. CloudFormation exports are opt-in.
 */
export const DEFAULT_DISCOVERY = ['routes', 'ssm'] as const;

/**
 * True for a URL whose host is this machine's loopback (127.0.0.0/8, `localhost`, `[::1]`): the
 * local mesh, never AWS. Such endpoints get the local developer credentials when none are given.
 */
export function isLoopbackUrl(url: URL): boolean {
  const h = url.hostname;
  return h === 'localhost' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** {@link isLoopbackUrl} of an endpoint string; false when it is missing or not a URL. */
export function isLoopbackEndpoint(endpoint: string | undefined): endpoint is string {
  if (!endpoint) return false;
  try {
    return isLoopbackUrl(new URL(endpoint));
  } catch {
    return false;
  }
}

/**
 * The local mesh's documented developer key (docs/security.md): what a client with a loopback
 * endpoint signs with when no credentials are given. Never valid in AWS.
 */
export const LOCAL_DEVELOPER_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** A parsed `service:function` target. */
export interface Target {
  readonly service: string;
  readonly function: string;
}

function firstBadChar(s: string, re: RegExp): string | undefined {
  for (const ch of s) {
    if (!re.test(ch)) return ch;
  }
  return undefined;
}

export function explainBad(part: string, label: string, re: RegExp, charRe: RegExp): string {
  const bad = firstBadChar(part, charRe);
  if (bad !== undefined) {
    const cp = bad.codePointAt(0) ?? 0;
    const shown = cp > 0x7e || cp < 0x21 ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `'${bad}'`;
    return `the ${label} ${JSON.stringify(part)} contains ${shown}, which is not allowed${cp > 0x7e ? ' (only ASCII letters and digits; is it a look-alike character?)' : ''}`;
  }
  if (!re.test(part)) return `the ${label} ${JSON.stringify(part)} must start with a letter`;
  return `the ${label} ${JSON.stringify(part)} is invalid`;
}

/**
 * Parses `service:function`. Never trims or normalises: anything but an exact name throws
 * {@link InvalidTargetError}, so a typo cannot resolve to somebody else's function.
 */
export function parseTarget(input: unknown): Target {
  if (typeof input !== 'string') throw new InvalidTargetError(input, `expected a string, got ${typeof input}`);
  if (input.length === 0) throw new InvalidTargetError(input, 'it is empty');
  if (input.length > 256) throw new InvalidTargetError(input.slice(0, 40) + '…', 'it is longer than 256 characters');
  const parts = input.split(':');
  if (parts.length === 1) throw new InvalidTargetError(input, "it has no ':' between service and function");
  if (parts.length > 2)
    throw new InvalidTargetError(input, `it has ${parts.length - 1} ':' separators; exactly one is allowed`);
  const [service = '', fn = ''] = parts;
  if (service.length === 0) throw new InvalidTargetError(input, 'the service name before the colon is empty');
  if (fn.length === 0) throw new InvalidTargetError(input, 'the function name after the colon is empty');
  if (!SERVICE_NAME_RE.test(service))
    throw new InvalidTargetError(input, explainBad(service, 'service', SERVICE_NAME_RE, /[A-Za-z0-9-]/));
  if (!FUNCTION_NAME_RE.test(fn))
    throw new InvalidTargetError(input, explainBad(fn, 'function', FUNCTION_NAME_RE, /[A-Za-z0-9_-]/));
  return { service, function: fn };
}

export function formatTarget(t: Target): string {
  return `${t.service}:${t.function}`;
}

/** Lambda's own rule for a function name: 1–64 of `[A-Za-z0-9_-]` (CreateFunction's FunctionName). */
export const LAMBDA_FUNCTION_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Why `name` cannot be the name of a Lambda function (and so cannot be put in an ARN), or
 * undefined when it can. The one check every Lambda name passes before it reaches an ARN or an
 * IAM policy, whatever its source: it refuses `*`, `?` (IAM wildcards, so never a wildcard or
 * name-prefix resource), `:` (a qualifier), and anything else outside Lambda's own rule.
 */
export function lambdaFunctionNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `is ${name === null ? 'null' : typeof name}, not a string`;
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_FUNCTION_NAME_LENGTH)
    return `is ${name.length} characters; Lambda allows ${MAX_FUNCTION_NAME_LENGTH}`;
  if (LAMBDA_FUNCTION_NAME_RE.test(name)) return undefined;
  const bad = firstBadChar(name, /[A-Za-z0-9_-]/) ?? '';
  const cp = bad.codePointAt(0) ?? 0;
  const shown = cp > 0x7e || cp < 0x21 ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `'${bad}'`;
  const why = bad === '*' || bad === '?' ? ' (an IAM wildcard: it would grant access to other functions)' : '';
  return `contains ${shown}${why}; Lambda names may contain only letters, digits, '-' and '_'`;
}

export function isValidStage(stage: unknown): stage is string {
  return typeof stage === 'string' && STAGE_NAME_RE.test(stage);
}

/** Serverless Framework's default physical name: `{service}-{stage}-{function}`. */
export function physicalFunctionName(service: string, stage: string, fn: string): string {
  return `${service}-${stage}-${fn}`;
}

/** `{service}-{stage}-{function}-{type}`: the SNS topic of one lifecycle event type. */
export function lifecycleTopicName(service: string, stage: string, fn: string, type: LifecycleType): string {
  return `${service}-${stage}-${fn}-${type}`;
}

/** `/svc-mesh/{stage}/{service}/{function}` (prefix configurable). */
export function discoveryRecordName(prefix: string, stage: string, service: string, fn: string): string {
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return `${p}/${stage}/${service}/${fn}`;
}

/** Fields that can be exported through CloudFormation for one function. */
export const EXPORT_FIELDS = ['FunctionArn', 'TopicStart', 'TopicSuccess', 'TopicFailed', 'Contract'] as const;
export type ExportField = (typeof EXPORT_FIELDS)[number];

/**
 * CloudFormation export names allow only `[A-Za-z0-9:-]`. Components never contain `:`,
 * so `:` separates them; inside a component `-` is written `-d` and `_` is written `-u`.
 * The escape is prefix-free, which makes the whole encoding injective (tested).
 */
export function exportName(stage: string, service: string, fn: string, field: ExportField): string {
  const esc = (s: string) => s.replace(/-/g, '-d').replace(/_/g, '-u');
  return `svc-mesh:${esc(stage)}:${esc(service)}:${esc(fn)}:${field}`;
}

/** Inverse of {@link exportName}; returns undefined for names that are not ours. */
export function parseExportName(
  name: string,
): { stage: string; service: string; function: string; field: ExportField } | undefined {
  const parts = name.split(':');
  if (parts.length !== 5 || parts[0] !== 'svc-mesh') return undefined;
  const unesc = (s: string): string | undefined => {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c !== '-') {
        out += c;
        continue;
      }
      const n = s[++i];
      if (n === 'd') out += '-';
      else if (n === 'u') out += '_';
      else return undefined;
    }
    return out;
  };
  const [, st, sv, fn, field] = parts as [string, string, string, string, string];
  const stage = unesc(st);
  const service = unesc(sv);
  const func = unesc(fn);
  if (stage === undefined || service === undefined || func === undefined) return undefined;
  if (!(EXPORT_FIELDS as readonly string[]).includes(field)) return undefined;
  return { stage, service, function: func, field: field as ExportField };
}

export const LAMBDA_ARN_RE =
  /^arn:(aws[a-zA-Z-]*):lambda:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):(\d{12}):function:([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;
export const SNS_ARN_RE =
  /^arn:(aws[a-zA-Z-]*):sns:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):(\d{12}):([A-Za-z0-9_-]{1,256})$/;

/** The version codegen writes: 2 names its target (`service`, `function`, `stage`); 1 did not. */
export const DISCOVERY_RECORD_VERSION = 2 as const;

/**
 * The SSM discovery record value:
 * `{"v":2,"service":…,"function":…,"stage":…,"functionArn":…,"topics":{…},"contract":…}`.
 * Version 1 (`{"v":1,"functionArn":…}`, no identity) is still read.
 */
export interface DiscoveryRecord {
  readonly v: 1 | 2;
  /** The target the record belongs to (version 2). */
  readonly service?: string;
  readonly function?: string;
  readonly stage?: string;
  readonly functionArn: string;
  readonly topics?: Partial<Record<LifecycleType, string>>;
  readonly contract?: string;
}

/** Parses and validates a discovery record; `source` names where it came from for the error. */
export function parseDiscoveryRecord(value: string, source: string): DiscoveryRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new DiscoveryRecordError(source, 'its value is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DiscoveryRecordError(source, 'its value is not a JSON object');
  }
  const r = raw as Record<string, unknown>;
  const own = (k: string): unknown => (Object.hasOwn(r, k) ? r[k] : undefined);
  const v = own('v');
  if (v !== 1 && v !== 2)
    throw new DiscoveryRecordError(source, `unsupported version ${JSON.stringify(v)} (expected 1 or 2)`);
  const identity: { service?: string; function?: string; stage?: string } = {};
  if (v === 2) {
    const checks = [
      ['service', SERVICE_NAME_RE],
      ['function', FUNCTION_NAME_RE],
      ['stage', STAGE_NAME_RE],
    ] as const;
    for (const [k, re] of checks) {
      const x = own(k);
      if (typeof x !== 'string' || !re.test(x))
        throw new DiscoveryRecordError(source, `a version-2 record needs "${k}", got ${JSON.stringify(x)}`);
      identity[k] = x;
    }
  }
  const arn = own('functionArn');
  if (typeof arn !== 'string' || !LAMBDA_ARN_RE.test(arn)) {
    throw new DiscoveryRecordError(source, `functionArn ${JSON.stringify(arn)} is not a Lambda function ARN`);
  }
  const rec: {
    v: 1 | 2;
    service?: string;
    function?: string;
    stage?: string;
    functionArn: string;
    topics?: Partial<Record<LifecycleType, string>>;
    contract?: string;
  } = { v, ...identity, functionArn: arn };
  if (own('topics') !== undefined) {
    const t = own('topics');
    if (typeof t !== 'object' || t === null || Array.isArray(t)) {
      throw new DiscoveryRecordError(source, 'topics is not an object');
    }
    const topics: Partial<Record<LifecycleType, string>> = {};
    for (const [k, v] of Object.entries(t)) {
      if (!(LIFECYCLE_TYPES as readonly string[]).includes(k)) {
        throw new DiscoveryRecordError(source, `topics has unknown type ${JSON.stringify(k)}`);
      }
      if (typeof v !== 'string' || !SNS_ARN_RE.test(v)) {
        throw new DiscoveryRecordError(source, `topics.${k} is not an SNS topic ARN`);
      }
      topics[k as LifecycleType] = v;
    }
    rec.topics = topics;
  }
  const contract = own('contract');
  if (contract !== undefined) {
    if (typeof contract !== 'string') throw new DiscoveryRecordError(source, 'contract is not a string');
    rec.contract = contract;
  }
  return rec;
}

export function lambdaArn(partition: string, region: string, account: string, name: string): string {
  return `arn:${partition}:lambda:${region}:${account}:function:${name}`;
}

export function snsTopicArn(partition: string, region: string, account: string, name: string): string {
  return `arn:${partition}:sns:${region}:${account}:${name}`;
}
