/**
 * Contracts from handler types. For each function we find the TypeScript type nodes of its
 * input and output, then let ts-json-schema-generator turn them into JSON Schema:
 *   1. `defineFunction<I, O>(…)` / `defineSubscriber<I, O>(…)` type arguments (for a subscriber:
 *      the input and result of the function whose events it receives; it is marked
 *      `kind: 'subscriber'` and gets no client, since SNS invokes it, not callers);
 *   2. else the annotated handler: `(input: I, ctx) => Promise<O>` (arrow, function, or the
 *      callback passed to defineFunction), or a `Handler<I, O>` type annotation;
 *   3. else `unknown` (`{}`) with a warning: an untyped handler never stops the build.
 * One TypeScript program per tsconfig covers all handler files under it (one type check).
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  type CompletedConfig,
  createFormatter,
  createParser,
  DEFAULT_CONFIG,
  SchemaGenerator,
} from 'ts-json-schema-generator';
import type * as TS from 'typescript';
import { typescript } from '../load/typescript.js';
import type { Diagnostic } from '../errors.js';
import type { FunctionContract, FunctionModel, JsonSchema, Project, ServiceContract, ServiceModel } from '../model.js';
import { makeContract, setOwn } from './io.js';

const ts = typescript();

const DEFINE_NAMES = new Set(['defineFunction', 'defineSubscriber']);

/** Nearest tsconfig.json at or above `dir`, or undefined. */
function findTsconfig(dir: string): string | undefined {
  let d = dir;
  for (;;) {
    const f = join(d, 'tsconfig.json');
    if (existsSync(f)) return f;
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

function compilerOptions(tsconfig: string | undefined): TS.CompilerOptions {
  const fallback: TS.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  };
  if (tsconfig === undefined) return fallback;
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => {},
    },
  );
  if (parsed === undefined) return fallback;
  return { ...parsed.options, noEmit: true, skipLibCheck: true, incremental: false, composite: false };
}

/**
 * Parsed declaration files from node_modules (TypeScript's lib, @types/node, …) do not change
 * during a process; reusing them makes every run after the first much cheaper (watch mode, tests,
 * `check` after `generate`). Project files are always read fresh.
 */
const libCache = new Map<string, TS.SourceFile>();

function cachingHost(options: TS.CompilerOptions): TS.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (!fileName.includes('/node_modules/')) return original(fileName, languageVersion, onError, shouldCreate);
    const v = typeof languageVersion === 'object' ? languageVersion : { languageVersion };
    const key = `${fileName}\0${v.languageVersion}\0${v.impliedNodeFormat ?? ''}`;
    const hit = libCache.get(key);
    if (hit !== undefined) return hit;
    const sf = original(fileName, languageVersion, onError, shouldCreate);
    if (sf !== undefined) libCache.set(key, sf);
    return sf;
  };
  return host;
}

interface Found {
  input: TS.TypeNode | undefined;
  output: TS.TypeNode | undefined;
  /** Defined with defineSubscriber: SNS delivers its events; nobody invokes it directly. */
  subscriber?: boolean;
  /** Why nothing was found, for the warning. */
  why?: string;
}

function unwrapPromise(t: TS.TypeNode | undefined): TS.TypeNode | undefined {
  if (
    t !== undefined &&
    ts.isTypeReferenceNode(t) &&
    t.typeName.getText() === 'Promise' &&
    t.typeArguments?.length === 1
  ) {
    return t.typeArguments[0];
  }
  return t;
}

function fromFunctionLike(fn: TS.SignatureDeclarationBase): Found {
  const p = fn.parameters[0];
  return { input: p?.type, output: unwrapPromise(fn.type) };
}

/** Finds the input/output type nodes of a declaration (see the file comment for the rules). */
function typesOf(decl: TS.Node, checker: TS.TypeChecker, depth = 0): Found {
  if (depth > 5) return { input: undefined, output: undefined, why: 'too many indirections' };
  if (ts.isExportSpecifier(decl) || ts.isImportSpecifier(decl) || ts.isImportClause(decl)) {
    const sym = checker.getSymbolAtLocation(decl.name ?? decl);
    const target = sym !== undefined && sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    const d = target?.valueDeclaration ?? target?.declarations?.[0];
    return d === undefined
      ? { input: undefined, output: undefined, why: 'its declaration was not found' }
      : typesOf(d, checker, depth + 1);
  }
  if (
    ts.isFunctionDeclaration(decl) ||
    ts.isFunctionExpression(decl) ||
    ts.isArrowFunction(decl) ||
    ts.isMethodDeclaration(decl)
  ) {
    return fromFunctionLike(decl);
  }
  if (ts.isVariableDeclaration(decl)) {
    // `export const h: Handler<I, O> = …`
    if (decl.type !== undefined && ts.isTypeReferenceNode(decl.type) && decl.type.typeArguments?.length === 2) {
      return { input: decl.type.typeArguments[0], output: decl.type.typeArguments[1] };
    }
    let init = decl.initializer;
    while (
      init !== undefined &&
      (ts.isParenthesizedExpression(init) || ts.isAsExpression(init) || ts.isSatisfiesExpression(init))
    ) {
      init = init.expression;
    }
    if (init === undefined) return { input: undefined, output: undefined, why: 'it has no initializer' };
    if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return fromFunctionLike(init);
    if (ts.isCallExpression(init)) {
      const callee = init.expression;
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : '';
      if (DEFINE_NAMES.has(name)) {
        const subscriber = name === 'defineSubscriber';
        if (init.typeArguments !== undefined && init.typeArguments.length >= 1) {
          return { input: init.typeArguments[0], output: init.typeArguments[1], subscriber };
        }
        const cb = init.arguments[0];
        if (!subscriber && cb !== undefined && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb))) {
          const f = fromFunctionLike(cb);
          if (f.input !== undefined || f.output !== undefined) return f;
        }
        return {
          input: undefined,
          output: undefined,
          subscriber,
          why: `${name}() has neither type arguments nor an annotated callback`,
        };
      }
    }
    if (ts.isIdentifier(init)) {
      const sym = checker.getSymbolAtLocation(init);
      const d = sym?.valueDeclaration;
      if (d !== undefined) return typesOf(d, checker, depth + 1);
    }
    return { input: undefined, output: undefined, why: 'it is not defineFunction<I, O>(…) or an annotated function' };
  }
  return { input: undefined, output: undefined, why: 'its declaration is not a function' };
}

/** The declaration exported as `name` from a source file, through re-exports. */
function exportedDeclaration(sf: TS.SourceFile, name: string, checker: TS.TypeChecker): TS.Node | undefined {
  const mod = checker.getSymbolAtLocation(sf);
  if (mod === undefined) return undefined;
  const sym = checker.getExportsOfModule(mod).find((s) => s.name === name);
  if (sym === undefined) return undefined;
  const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
  return target.valueDeclaration ?? target.declarations?.[0];
}

/** Rewrites `#/definitions/<from>` refs (after a definition was renamed to avoid a clash). */
function renameRefs(v: unknown, from: string, to: string): unknown {
  if (Array.isArray(v)) return v.map((x) => renameRefs(x, from, to));
  if (v === null || typeof v !== 'object') return v;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    setOwn(o, k, k === '$ref' && x === `#/definitions/${from}` ? `#/definitions/${to}` : renameRefs(x, from, to));
  }
  return o;
}

class ServiceSchemas {
  readonly definitions: Record<string, JsonSchema> = {};

  constructor(private readonly generator: SchemaGenerator) {}

  /** Schema of one type node; shared named types go to `definitions`. Throws on unsupported types. */
  schema(node: TS.TypeNode): JsonSchema {
    if (node.kind === ts.SyntaxKind.VoidKeyword || node.kind === ts.SyntaxKind.UndefinedKeyword) {
      return { type: 'null' };
    }
    const raw = this.generator.createSchemaFromNodes([node]) as Record<string, unknown>;
    const {
      $schema: _s,
      definitions,
      ...root
    } = raw as { $schema?: unknown; definitions?: Record<string, JsonSchema> };
    let rootSchema: unknown = root;
    const defs = { ...(definitions ?? {}) };
    for (const name of Object.keys(defs)) {
      const existing = this.definitions[name];
      if (existing === undefined || JSON.stringify(existing) === JSON.stringify(defs[name])) continue;
      // Two different types share a name (in different files): keep both under distinct names.
      let n = 2;
      while (this.definitions[`${name}_${n}`] !== undefined) n++;
      const to = `${name}_${n}`;
      rootSchema = renameRefs(rootSchema, name, to);
      for (const k of Object.keys(defs)) defs[k] = renameRefs(defs[k], name, to) as JsonSchema;
      defs[to] = defs[name]!;
      delete defs[name];
    }
    Object.assign(this.definitions, defs);
    return rootSchema as JsonSchema;
  }
}

/** Derives `contracts/<service>.json` for every (non-external) service of the project. */
export async function extractContracts(
  project: Project,
  onProgress?: (done: number, total: number, what: string) => void,
): Promise<{ contracts: Record<string, ServiceContract>; diagnostics: Diagnostic[] }> {
  return extractContractsSync(project, onProgress);
}

/** {@link extractContracts}, synchronously (the CDK constructs run inside a synchronous synth). */
export function extractContractsSync(
  project: Project,
  onProgress?: (done: number, total: number, what: string) => void,
): { contracts: Record<string, ServiceContract>; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const contracts: Record<string, ServiceContract> = {};
  const services = project.services.filter((s) => !s.external);
  // Group services by tsconfig: one program (one type check) per group.
  const groups = new Map<string, ServiceModel[]>();
  for (const s of services) {
    const key = findTsconfig(s.dir) ?? '';
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const total = services.reduce((n, s) => n + s.functions.length, 0);
  let done = 0;
  for (const [tsconfig, group] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const files = [
      ...new Set(
        group.flatMap((s) => s.functions.map((f) => f.handler.file)).filter((f): f is string => f !== undefined),
      ),
    ];
    const options = compilerOptions(tsconfig === '' ? undefined : tsconfig);
    const program = ts.createProgram({ rootNames: files.sort(), options, host: cachingHost(options) });
    const checker = program.getTypeChecker();
    const config: CompletedConfig = { ...DEFAULT_CONFIG, topRef: false, skipTypeCheck: true, functions: 'comment' };
    const generator = new SchemaGenerator(program, createParser(program, config), createFormatter(config), config);
    for (const s of group) {
      const schemas = new ServiceSchemas(generator);
      const functions: Record<string, FunctionContract> = {};
      for (const f of s.functions) {
        functions[f.key] = contractOf(f, s, program, checker, schemas, diagnostics);
        onProgress?.(++done, total, 'types');
      }
      contracts[s.name] = makeContract(s.name, functions, schemas.definitions);
    }
  }
  return { contracts, diagnostics };
}

function contractOf(
  f: FunctionModel,
  s: ServiceModel,
  program: TS.Program,
  checker: TS.TypeChecker,
  schemas: ServiceSchemas,
  diagnostics: Diagnostic[],
): FunctionContract {
  const loc = f.locs['handler'] ?? f.loc;
  const untyped = (why: string): FunctionContract => {
    diagnostics.push({
      ...loc,
      severity: 'warning',
      message:
        `${s.name}:${f.key}: no types for the handler (${why}); its contract is 'unknown' in and out. ` +
        (f.subscriptions.length > 0 && f.calling.length === 0
          ? `Write: export const ${f.handler.export || 'handler'} = defineSubscriber<Input, Result>(async (event, ctx) => …)`
          : `Write: export const ${f.handler.export || 'handler'} = defineFunction<Input, Output>(async (input, ctx) => …)`),
    });
    return { subscribable: f.subscribable, input: {}, output: {}, untyped: true };
  };
  if (f.handler.file === undefined) return untyped('the handler file was not found');
  if (!/\.[mc]?ts$/.test(f.handler.file)) return untyped(`${relative(s.dir, f.handler.file)} is JavaScript`);
  const sf = program.getSourceFile(f.handler.file);
  if (sf === undefined) return untyped('the handler file is not part of the TypeScript program');
  const decl = exportedDeclaration(sf, f.handler.export, checker);
  if (decl === undefined) return untyped(`export '${f.handler.export}' not found`);
  const found = typesOf(decl, checker);
  if (found.subscriber === true && found.input === undefined && found.output === undefined) {
    // defineSubscriber without type arguments receives LifecycleEvent<unknown, unknown> by design:
    // nothing to warn about, and nobody calls it directly.
    return { subscribable: f.subscribable, input: {}, output: {}, kind: 'subscriber' };
  }
  if (found.input === undefined && found.output === undefined) return untyped(found.why ?? 'no type annotations');
  const one = (node: TS.TypeNode | undefined, which: 'input' | 'output'): { schema: JsonSchema; ok: boolean } => {
    if (node === undefined) return { schema: {}, ok: false };
    try {
      return { schema: schemas.schema(node), ok: true };
    } catch (err) {
      const pos = node.getSourceFile().getLineAndCharacterOfPosition(node.getStart());
      diagnostics.push({
        file: node.getSourceFile().fileName,
        line: pos.line + 1,
        col: pos.character + 1,
        severity: 'warning',
        message: `${s.name}:${f.key}: cannot derive a JSON Schema for the ${which} type '${node.getText()}' (${firstLine(err)}); it is 'unknown' in the contract`,
      });
      return { schema: {}, ok: false };
    }
  };
  const input = named(one(found.input, 'input'), found.input);
  const output = named(one(found.output, 'output'), found.output);
  const c: FunctionContract = { subscribable: f.subscribable, input: input.schema, output: output.schema };
  if (found.subscriber === true) c.kind = 'subscriber';
  if (!input.ok || !output.ok) c.untyped = true;
  return c;
}

/**
 * The user's own name for a type written as a plain reference (`defineFunction<SendEmailInput, …>`),
 * kept as the schema's `title`, so generated clients use that name rather than one made up.
 */
function named(
  r: { schema: JsonSchema; ok: boolean },
  node: TS.TypeNode | undefined,
): { schema: JsonSchema; ok: boolean } {
  if (!r.ok || node === undefined || !ts.isTypeReferenceNode(node) || node.typeArguments !== undefined) return r;
  if (!ts.isIdentifier(node.typeName)) return r;
  const name = node.typeName.text;
  if (!/^[A-Z][A-Za-z0-9_]*$/.test(name) || name === 'Promise') return r;
  if (typeof r.schema !== 'object' || r.schema === null || '$ref' in r.schema) return r;
  return { schema: { title: name, ...r.schema }, ok: true };
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 200);
}
