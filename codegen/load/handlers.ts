/**
 * Handler files: `handler: src/users.create` → `src/users.{ts,mts,cts,js,mjs,cjs}` and its
 * export `create`. Exports are read from the syntax tree only (no type checking), which is
 * cheap enough to run on every function of a large project.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as TS from 'typescript';
import { typescript } from './typescript.js';

const ts = typescript();

export const HANDLER_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'] as const;

/** Splits `path/to/file.export` at the last dot. */
export function splitHandler(raw: string): { base: string; export: string } | undefined {
  const dot = raw.lastIndexOf('.');
  const slash = raw.lastIndexOf('/');
  if (dot <= 0 || dot < slash || dot === raw.length - 1) return undefined;
  return { base: raw.slice(0, dot), export: raw.slice(dot + 1) };
}

/** The first existing source file for a handler base path, or undefined. */
export function findHandlerFile(dir: string, base: string): string | undefined {
  for (const ext of HANDLER_EXTENSIONS) {
    const f = join(dir, base + ext);
    if (existsSync(f)) return f;
  }
  // `handler: dist/x.handler` built from src/x.ts is common; we only look where it says.
  return undefined;
}

export interface ExportInfo {
  names: Set<string>;
  /** True when the file re-exports `*` or assigns CommonJS exports dynamically: absence is not proof. */
  open: boolean;
}

const cache = new Map<string, ExportInfo>();

/** Exported names of a module, from its syntax tree. Cached per file for one process. */
export function exportedNames(file: string): ExportInfo {
  const hit = cache.get(file);
  if (hit !== undefined) return hit;
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const names = new Set<string>();
  let open = false;
  const hasExport = (n: TS.Node) =>
    ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const isDefault = (n: TS.Node) =>
    ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
  const bindingNames = (b: TS.BindingName) => {
    if (ts.isIdentifier(b)) names.add(b.text);
    else for (const el of b.elements) if (!ts.isOmittedExpression(el)) bindingNames(el.name);
  };
  for (const st of sf.statements) {
    if (ts.isVariableStatement(st) && hasExport(st)) {
      for (const d of st.declarationList.declarations) bindingNames(d.name);
    } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && hasExport(st)) {
      if (isDefault(st)) names.add('default');
      else if (st.name !== undefined) names.add(st.name.text);
    } else if (ts.isExportAssignment(st)) {
      if (st.isExportEquals) open = true;
      else names.add('default');
    } else if (ts.isExportDeclaration(st)) {
      if (st.exportClause === undefined) open = true;
      else if (ts.isNamedExports(st.exportClause)) for (const el of st.exportClause.elements) names.add(el.name.text);
      else names.add(st.exportClause.name.text);
    } else if (ts.isExpressionStatement(st)) {
      // CommonJS: exports.x = …, module.exports.x = …, module.exports = { x, … }.
      const e = st.expression;
      if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const left = e.left.getText(sf);
        const m = /^(?:module\.)?exports\.([A-Za-z_$][\w$]*)$/.exec(left);
        if (m !== null) names.add(m[1]!);
        else if (left === 'module.exports') {
          if (ts.isObjectLiteralExpression(e.right)) {
            for (const p of e.right.properties) {
              if (p.name !== undefined && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)))
                names.add(p.name.text);
              else open = true;
            }
          } else open = true;
        }
      }
    }
  }
  const info = { names, open };
  cache.set(file, info);
  return info;
}

/** Forget cached exports (watch mode, tests that rewrite files). */
export function clearHandlerCache(): void {
  cache.clear();
}
