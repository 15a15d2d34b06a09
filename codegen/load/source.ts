/**
 * One parsed serverless.yml with source positions, and its variables resolved on demand.
 * `yaml`'s Document keeps the offsets of every node; LineCounter turns them into line:col.
 */
import { readFile } from 'node:fs/promises';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
} from 'yaml';
import type { Diagnostic } from '../errors.js';
import type { SourceLoc } from '../model.js';
import { hasVariable, resolveVariables, type VariableSources, VariableError } from './variables.js';

export interface ResolveContext {
  stage: string;
  region: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

/** Raised inside resolution; carries a ready diagnostic. */
export class SourceError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

export class SourceFile {
  readonly lineCounter = new LineCounter();
  readonly doc: Document.Parsed;
  /** Diagnostics from parsing (syntax errors, duplicate keys). */
  readonly parseDiagnostics: Diagnostic[] = [];
  private readonly resolving = new Set<Node>();
  private readonly cache = new Map<Node, unknown>();

  private constructor(
    readonly file: string,
    readonly text: string,
    private readonly ctx: ResolveContext,
  ) {
    this.doc = parseDocument(text, {
      lineCounter: this.lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      merge: true,
      keepSourceTokens: false,
    });
    for (const e of [...this.doc.errors, ...this.doc.warnings]) {
      const { line, col } = this.lineCounter.linePos(e.pos[0]);
      const isDup = e.code === 'DUPLICATE_KEY';
      const key = /^["']?([^"':\n]*)/.exec(text.slice(e.pos[0], e.pos[0] + 200))?.[1]?.trim() ?? '';
      const message = isDup
        ? `duplicate key '${key}': it is already set above in the same mapping; YAML would keep only one, so remove or rename one of them`
        : `invalid YAML: ${firstLine(e.message)}`;
      this.parseDiagnostics.push({
        file,
        line,
        col,
        message,
        severity: this.doc.errors.includes(e as never) ? 'error' : 'warning',
      });
    }
  }

  static async read(file: string, ctx: ResolveContext): Promise<SourceFile> {
    return new SourceFile(file, await readFile(file, 'utf8'), ctx);
  }

  static fromText(file: string, text: string, ctx: ResolveContext): SourceFile {
    return new SourceFile(file, text, ctx);
  }

  /** A copy resolving variables for another stage (physical names in the fallback chain). */
  withStage(stage: string): SourceFile {
    return new SourceFile(this.file, this.text, { ...this.ctx, stage });
  }

  loc(offset: number): SourceLoc {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, col };
  }

  nodeLoc(node: Node | null | undefined): SourceLoc {
    const off = node?.range?.[0];
    return off === undefined ? { file: this.file, line: 1, col: 1 } : this.loc(off);
  }

  diag(node: Node | null | undefined, message: string, severity: 'error' | 'warning' = 'error'): Diagnostic {
    return { ...this.nodeLoc(node), message, severity };
  }

  /** The map pair `key` under a map node: its key node (for positions) and value node. */
  pair(map: Node | null | undefined, key: string): { key: Node; value: Node | null } | undefined {
    const m = this.deref(map);
    if (!isMap(m)) return undefined;
    for (const p of m.items) {
      const k = p.key as Node | null;
      if (isScalar(k) && String(k.value) === key) return { key: k, value: this.deref(p.value as Node | null) };
    }
    return undefined;
  }

  /** Map entries in source order (after YAML merge keys), with their key nodes. */
  entries(map: Node | null | undefined): { key: string; keyNode: Node; value: Node | null }[] {
    const m = this.deref(map);
    if (!isMap(m)) return [];
    const out: { key: string; keyNode: Node; value: Node | null }[] = [];
    const seen = new Set<string>();
    const merged: { key: string; keyNode: Node; value: Node | null }[] = [];
    for (const p of m.items) {
      const k = p.key as Node | null;
      if (isScalar(k) && k.value === '<<') {
        const src = this.deref(p.value as Node | null);
        const sources = isSeq(src) ? src.items.map((x) => this.deref(x as Node)) : [src];
        for (const s of sources) merged.push(...this.entries(s));
        continue;
      }
      if (!isScalar(k)) continue;
      const key = String(k.value);
      seen.add(key);
      out.push({ key, keyNode: k, value: this.deref(p.value as Node | null) });
    }
    for (const e of merged) if (!seen.has(e.key)) out.push(e);
    return out;
  }

  deref(node: Node | null | undefined): Node | null {
    if (node === undefined || node === null) return null;
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return node;
  }

  /** The node at a `self:` path, or undefined. Descends through variables where it must. */
  private lookup(path: string[]): unknown {
    let node: Node | null = this.deref(this.doc.contents as Node | null);
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const p = this.pair(node, seg);
        if (p === undefined) return undefined;
        node = p.value;
      } else if (isSeq(node)) {
        const n = Number(seg);
        if (!Number.isInteger(n)) return undefined;
        node = this.deref(node.items[n] as Node | undefined);
        if (node === null) return undefined;
      } else if (isScalar(node)) {
        // The value is itself a variable (e.g. `custom: ${self:other}`): resolve, then walk plain JS.
        let v: unknown = this.value(node);
        for (const s of path.slice(i)) {
          if (v === null || typeof v !== 'object' || !Object.hasOwn(v, s)) return undefined;
          v = (v as Record<string, unknown>)[s];
        }
        return v;
      } else {
        return undefined;
      }
    }
    return node === null ? null : this.value(node);
  }

  /** The plain value of a node with every variable resolved. Throws {@link SourceError}. */
  value(node: Node | null | undefined): unknown {
    const n = this.deref(node);
    if (n === null) return null;
    if (this.cache.has(n)) return this.cache.get(n);
    let v: unknown;
    if (isMap(n)) {
      // Keys are data: `__proto__`, `constructor` or `toString` become own properties like any other
      // (an assignment to `o['__proto__']` would replace the prototype and lose the key).
      const o: Record<string, unknown> = {};
      for (const e of this.entries(n)) {
        Object.defineProperty(o, e.key, {
          value: this.value(e.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      v = o;
    } else if (isSeq(n)) {
      v = n.items.map((x) => this.value(x as Node));
    } else if (isScalar(n)) {
      v = this.scalar(n);
    } else {
      v = null;
    }
    this.cache.set(n, v);
    return v;
  }

  private scalar(n: Scalar): unknown {
    const raw = n.value;
    if (typeof raw !== 'string' || !hasVariable(raw)) return raw;
    if (this.resolving.has(n)) {
      throw new SourceError(this.diag(n, `circular variable reference: ${raw} refers back to itself`));
    }
    this.resolving.add(n);
    try {
      const sources: VariableSources = {
        stage: this.ctx.stage,
        region: this.ctx.region,
        env: this.ctx.env,
        self: (path) => this.lookup(path),
      };
      return resolveVariables(raw, sources);
    } catch (err) {
      if (err instanceof VariableError) {
        throw new SourceError({ ...this.variableLoc(n, raw, err.index), message: err.message, severity: 'error' });
      }
      throw err;
    } finally {
      this.resolving.delete(n);
    }
  }

  /** Position of the variable at `index` of the scalar's value, mapped back into the file. */
  private variableLoc(n: Scalar, raw: string, index: number): SourceLoc {
    const range = n.range;
    if (range === undefined || range === null) return this.nodeLoc(n);
    const end = raw.indexOf('}', index);
    const needle = raw.slice(index, end === -1 ? undefined : end + 1);
    const src = this.text.slice(range[0], range[1]);
    const k = needle.length > 0 ? src.indexOf(needle) : -1;
    return this.loc(k === -1 ? range[0] : range[0] + k);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** Type of a resolved YAML value, for messages ("got a string"). */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `a ${typeof v}`;
}
