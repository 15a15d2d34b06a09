/**
 * JSON Schema (the subset ts-json-schema-generator emits, draft-07) → TypeScript type text.
 * Clients are built from contracts, not from the callee's source, so a caller in another
 * repository gets the same types from the published `contracts/<service>.json`.
 */
import type { JsonSchema } from '../model.js';

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export const propKey = (k: string) => (IDENT.test(k) ? k : JSON.stringify(k));

/** A TypeScript identifier from any name (`Foo<Bar>` → `Foo_Bar_`). */
export function identifier(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_$]/g, '_');
  if (!/^[A-Za-z_$]/.test(s)) s = `_${s}`;
  return s;
}

export const pascal = (s: string) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p.length > 0)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('') || '_';

const literal = (v: unknown): string => (v === null ? 'null' : JSON.stringify(v));

function comment(s: JsonSchema, indent: string): string {
  const d = s['description'];
  if (typeof d !== 'string' || d.length === 0) return '';
  return `${indent}/** ${d.replace(/\*\//g, '*\\/').replace(/\n/g, `\n${indent} * `)} */\n`;
}

/**
 * Converts a schema to a type. `refName` maps a `#/definitions/<name>` reference to the type
 * name it was declared under.
 */
export function schemaToTs(schema: unknown, refName: (def: string) => string, indent = ''): string {
  if (schema === true || schema === undefined) return 'unknown';
  if (schema === false) return 'never';
  if (schema === null || typeof schema !== 'object') return 'unknown';
  const s = schema as JsonSchema;
  const next = indent + '  ';
  if (typeof s['$ref'] === 'string') {
    const ref = s['$ref'];
    const m = /^#\/definitions\/(.+)$/.exec(ref);
    return m === null ? 'unknown' : refName(decodeURIComponent(m[1]!));
  }
  if ('const' in s) return literal(s['const']);
  if (Array.isArray(s['enum'])) return s['enum'].map(literal).join(' | ') || 'never';
  const union = (xs: unknown[], op: string) => {
    const parts = xs.map((x) => schemaToTs(x, refName, indent));
    return parts.length === 1 ? parts[0]! : parts.map((p) => (/[|&]/.test(p) ? `(${p})` : p)).join(op);
  };
  if (Array.isArray(s['anyOf'])) return union(s['anyOf'], ' | ');
  if (Array.isArray(s['oneOf'])) return union(s['oneOf'], ' | ');
  if (Array.isArray(s['allOf'])) return union(s['allOf'], ' & ');
  const type = s['type'];
  if (Array.isArray(type)) return type.map((t) => schemaToTs({ ...s, type: t }, refName, indent)).join(' | ');
  switch (type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const items = s['items'];
      if (Array.isArray(items)) {
        const min = typeof s['minItems'] === 'number' ? s['minItems'] : items.length;
        const parts = items.map((x, i) => schemaToTs(x, refName, indent) + (i >= min ? '?' : ''));
        const rest = s['additionalItems'];
        if (rest !== undefined && rest !== false) parts.push(`...${wrap(schemaToTs(rest, refName, indent))}[]`);
        return `[${parts.join(', ')}]`;
      }
      return `${wrap(schemaToTs(items, refName, indent))}[]`;
    }
    case 'object':
      return objectType(s, refName, indent, next);
    default:
      if (s['properties'] !== undefined) return objectType(s, refName, indent, next);
      return 'unknown';
  }
}

const wrap = (t: string) => (/[|& ]/.test(t) && !/^[{[]/.test(t) ? `(${t})` : t);

function objectType(s: JsonSchema, refName: (d: string) => string, indent: string, next: string): string {
  const props = (s['properties'] ?? {}) as Record<string, unknown>;
  const required = new Set(Array.isArray(s['required']) ? (s['required'] as string[]) : []);
  const lines: string[] = [];
  for (const [k, v] of Object.entries(props)) {
    const c = v !== null && typeof v === 'object' ? comment(v as JsonSchema, next) : '';
    lines.push(`${c}${next}${propKey(k)}${required.has(k) ? '' : '?'}: ${schemaToTs(v, refName, next)};`);
  }
  const extra = s['additionalProperties'];
  if (extra === undefined || extra === true) {
    if (lines.length === 0) return 'Record<string, unknown>';
    lines.push(`${next}[key: string]: unknown;`);
  } else if (extra !== false) {
    lines.push(`${next}[key: string]: ${schemaToTs(extra, refName, next)};`);
  }
  if (lines.length === 0) return 'Record<string, never>';
  return `{\n${lines.join('\n')}\n${indent}}`;
}
