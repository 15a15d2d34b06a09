/**
 * The subset of Serverless Framework variables that people write in service files:
 * `${self:path}`, `${sls:stage}`, `${opt:stage}`, `${opt:region}`, `${env:NAME}`, with
 * comma-separated fallbacks (`${opt:stage, 'dev'}`, `${env:A, env:B, 'x'}`) and nesting
 * (`${self:custom.${sls:stage}.memory}`). Anything else is refused with its position, because
 * a variable we silently left unresolved would end up as a literal `${…}` in a policy.
 */

/** Where a variable sits in its file; the resolver reports errors through it. */
export class VariableError extends Error {
  constructor(
    message: string,
    /** Offset of the variable inside the string being resolved. */
    readonly index: number,
  ) {
    super(message);
  }
}

export interface VariableSources {
  /** The stage `--stage` gave (also `${sls:stage}`). */
  stage: string;
  /** `--region`, when given: `${opt:region}`. */
  region: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Looks up `self:` paths; returns undefined when the path does not exist. */
  self(path: string[]): unknown;
}

const SUPPORTED = '${self:…}, ${sls:stage}, ${opt:stage}, ${opt:region}, ${env:NAME}';

/** Finds the `}` matching the `${` at `start`; -1 when it is never closed. */
function matchBrace(s: string, start: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < s.length; i++) {
    const c = s[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '$' && s[i + 1] === '{') {
      depth++;
      i++;
      continue;
    }
    if ((c === "'" || c === '"') && depth > 0 && i > start + 1) {
      quote = c;
      continue;
    }
    if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Splits on commas that are not inside quotes or a nested `${…}`. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote !== undefined) {
      cur += c;
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      cur += c;
      continue;
    }
    if (c === '$' && s[i + 1] === '{') depth++;
    if (c === '}' && depth > 0) depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** True when the string contains a variable to resolve. */
export function hasVariable(s: string): boolean {
  return s.includes('${');
}

/**
 * Resolves every variable in `s`. A string that is exactly one variable takes the variable's
 * value as is (an object, a list, a number); otherwise values are interpolated as strings.
 * Throws {@link VariableError} with the offset of the offending variable.
 */
export function resolveVariables(s: string, src: VariableSources): unknown {
  const first = s.indexOf('${');
  if (first === -1) return s;
  const end = matchBrace(s, first);
  if (end === -1) throw new VariableError(`unterminated variable: no closing '}' for the '\${' here`, first);
  if (first === 0 && end === s.length - 1) return resolveOne(s.slice(2, -1), 0, src);
  let out = '';
  let i = 0;
  while (i < s.length) {
    const start = s.indexOf('${', i);
    if (start === -1) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, start);
    const close = matchBrace(s, start);
    if (close === -1) throw new VariableError(`unterminated variable: no closing '}' for the '\${' here`, start);
    const v = resolveOne(s.slice(start + 2, close), start, src);
    if (v !== null && typeof v === 'object') {
      throw new VariableError(
        `\${${s.slice(start + 2, close)}} resolves to ${Array.isArray(v) ? 'a list' : 'an object'}, which cannot be embedded in a string`,
        start,
      );
    }
    out += String(v);
    i = close + 1;
  }
  return out;
}

function resolveOne(body: string, at: number, src: VariableSources): unknown {
  const parts = splitTopLevel(body).map((p) => p.trim());
  const [head = '', ...fallbacks] = parts;
  const candidates = [head, ...fallbacks];
  for (let k = 0; k < candidates.length; k++) {
    const c = candidates[k]!;
    const v = resolveTerm(c, k > 0, at, src);
    if (v !== undefined) return v;
  }
  const what = head.startsWith('env:')
    ? `the environment variable ${head.slice(4)} is not set`
    : head.startsWith('self:')
      ? `${head.slice(5) || '(root)'} does not exist in this file`
      : `${head} has no value`;
  throw new VariableError(`\${${body}}: ${what} and no default was given; add one, e.g. \${${head}, 'value'}`, at);
}

function resolveTerm(term: string, isFallback: boolean, at: number, src: VariableSources): unknown {
  if (term.length === 0) throw new VariableError('empty variable or fallback', at);
  if (isFallback) {
    const q = term[0];
    if ((q === "'" || q === '"') && term.endsWith(q) && term.length >= 2) return term.slice(1, -1);
    if (/^-?\d+(\.\d+)?$/.test(term)) return Number(term);
    if (term === 'true' || term === 'false') return term === 'true';
    if (term === 'null') return null;
  }
  // A nested variable inside the address, e.g. self:custom.${sls:stage}.memory.
  let address = term;
  if (address.includes('${')) {
    if (address.startsWith('${') && matchBrace(address, 0) === address.length - 1) {
      return resolveOne(address.slice(2, -1), at, src);
    }
    const r = resolveVariables(address, src);
    if (typeof r !== 'string') throw new VariableError(`\${${term}}: a nested variable must resolve to a string`, at);
    address = r;
  }
  const m = /^([A-Za-z][A-Za-z0-9]*)(?::(.*))?$/s.exec(address);
  const fileLike = /^([A-Za-z]+)\(/.exec(address);
  if (fileLike !== null) {
    throw new VariableError(
      `\${${term}} is not supported by svc-codegen (${fileLike[1]}(...) sources are not read); supported: ${SUPPORTED}`,
      at,
    );
  }
  if (m === null || m[2] === undefined) {
    if (isFallback) {
      throw new VariableError(
        `fallback ${term} is neither a quoted string, a number, nor a variable like env:NAME; quote it: '${term}'`,
        at,
      );
    }
    throw new VariableError(
      `\${${term}} is not a variable svc-codegen understands; write source:address, e.g. \${self:custom.x}; supported: ${SUPPORTED}`,
      at,
    );
  }
  const source = m[1]!;
  const addr = m[2];
  switch (source) {
    case 'self': {
      const path = addr === '' ? [] : addr.split('.');
      return src.self(path);
    }
    case 'sls':
      if (addr === 'stage') return src.stage;
      break;
    case 'opt':
      if (addr === 'stage') return src.stage;
      if (addr === 'region') return src.region;
      break;
    case 'env':
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(addr)) {
        throw new VariableError(`\${${term}}: ${JSON.stringify(addr)} is not an environment variable name`, at);
      }
      return src.env[addr];
  }
  throw new VariableError(`\${${term}} is not supported by svc-codegen; supported: ${SUPPORTED}`, at);
}
