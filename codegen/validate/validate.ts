/**
 * Checks across services: names resolve, subscriptions point at subscribable functions,
 * physical names fit Lambda's limits, handlers exist, and sync call cycles (warnings).
 * Returns every diagnostic; the caller decides whether errors stop the run.
 */
import { relative } from 'node:path';
import { closest } from 'fastest-levenshtein';
import { lambdaFunctionNameProblem, MAX_FUNCTION_NAME_LENGTH, physicalFunctionName } from 'svc-mesh/internal';
import type { Diagnostic } from '../errors.js';
import { exportedNames, HANDLER_EXTENSIONS, splitHandler } from '../load/handlers.js';
import type { FunctionModel, ServiceModel, SourceLoc } from '../model.js';
import { validateResiliency } from './resiliency.js';

const at = (loc: SourceLoc, message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic => ({
  ...loc,
  message,
  severity,
});

export interface ValidateOptions {
  stage: string;
  /** Check handler files and exports (off for synthetic projects). Default true. */
  checkHandlers?: boolean;
  /**
   * How to treat calls and subscriptions to services that were not loaded: `error` (default), or
   * `warning` (the Serverless plugin sees one service at a time; the others deploy on their own).
   */
  unknownServices?: 'error' | 'warning';
  /** The stage chain `[stage, ...stageFallback]` (default `[stage]`): every Lambda name in it is checked. */
  stages?: readonly string[];
}

/** The one Lambda-name check, worded for a diagnostic. */
function lambdaNameProblem(pn: string, stage: string, mainStage: string): string | undefined {
  const problem = lambdaFunctionNameProblem(pn);
  if (problem === undefined) return undefined;
  const inStage = stage === mainStage ? '' : ` (in fallback stage '${stage}')`;
  const shown = /^[\x20-\x7e]*$/.test(pn) && !pn.includes("'") ? `'${pn}'` : JSON.stringify(pn);
  const fix =
    pn.length > MAX_FUNCTION_NAME_LENGTH
      ? `. Shorten the service name or the function key, or set a shorter 'name:'`
      : '';
  return `the Lambda name ${shown}${inStage} ${problem}${fix}`;
}

export function validateServices(services: readonly ServiceModel[], opts: ValidateOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byName = new Map<string, ServiceModel>();
  for (const s of services) {
    const prev = byName.get(s.name);
    if (prev !== undefined) {
      const where = prev.external
        ? 'a contract given with --contracts'
        : `${prev.file}:${prev.loc.line}:${prev.loc.col}`;
      out.push(at(s.loc, `duplicate service '${s.name}': already defined in ${where}; service names must be unique`));
      continue;
    }
    byName.set(s.name, s);
  }
  const serviceNames = [...byName.keys()];
  const fnIndex = new Map<string, FunctionModel>();
  for (const s of byName.values()) for (const f of s.functions) fnIndex.set(`${s.name}:${f.key}`, f);

  // Physical names: Lambda's own rule (1–64 of [A-Za-z0-9_-], so never an IAM wildcard), and uniqueness.
  const physical = new Map<string, FunctionModel>();
  for (const s of byName.values()) {
    if (s.external) continue;
    for (const f of s.functions) {
      const loc = f.locs['name'] ?? f.loc;
      for (const [stage, pn] of Object.entries(f.physicalNames)) {
        const problem = lambdaNameProblem(pn, stage, opts.stage);
        if (problem !== undefined) out.push(at(loc, problem));
      }
      const prev = physical.get(f.physicalName);
      if (prev !== undefined) {
        out.push(
          at(
            loc,
            `the Lambda name '${f.physicalName}' is also used by ${prev.service}:${prev.key}; names must be unique`,
          ),
        );
      } else physical.set(f.physicalName, f);
    }
  }

  // Calls and subscriptions resolve to known functions.
  const unknown = (service: string, fn: string): string | undefined => {
    const s = byName.get(service);
    if (s === undefined) {
      const near = serviceNames.length > 0 ? closest(service, serviceNames) : undefined;
      return (
        `unknown service '${service}'` +
        (near !== undefined ? `; did you mean '${near}'?` : '') +
        ` (a service from another repository needs its contract: --contracts <dir>)`
      );
    }
    if (!s.functions.some((f) => f.key === fn)) {
      const keys = s.functions.map((f) => f.key);
      const near = keys.length > 0 ? closest(fn, keys) : undefined;
      return `service '${service}' has no function '${fn}'${near !== undefined ? `; did you mean '${service}:${near}'?` : ''}`;
    }
    return undefined;
  };
  const lenient = opts.unknownServices === 'warning';
  for (const s of byName.values()) {
    if (s.external) continue;
    for (const f of s.functions) {
      f.calling.forEach((t, i) => {
        const problem = unknown(t.service, t.function);
        const loc = f.locs[`calling[${i}]`] ?? f.loc;
        if (problem === undefined || (lenient && !byName.has(t.service))) {
          // Every Lambda name this call puts in the caller's policy passes the one check, wherever it
          // came from: a reference service (sibling directory, custom.svcMesh.paths, referencePaths),
          // a contract, or the default name of a service that is not part of this run.
          const target = byName.get(t.service);
          const callee = target?.functions.find((x) => x.key === t.function);
          if (target === undefined || target.external) {
            for (const stage of opts.stages ?? [opts.stage]) {
              const pn = callee?.physicalNames[stage] ?? physicalFunctionName(t.service, stage, t.function);
              const bad = lambdaNameProblem(pn, stage, opts.stage);
              if (bad === undefined) continue;
              const def = callee === undefined ? undefined : (callee.locs['name'] ?? callee.loc);
              const where = def === undefined ? '' : ` (defined at ${target!.file}:${def.line}:${def.col})`;
              out.push(at(loc, `calling '${t.service}:${t.function}': ${bad}${where}`));
            }
          }
          if (problem === undefined) return;
        }
        if (lenient && !byName.has(t.service)) {
          out.push(
            at(
              loc,
              `calling '${t.service}:${t.function}': service '${t.service}' is not part of this run, so the name was not checked (add its directory to custom.svcMesh.paths or its contract to custom.svcMesh.contracts)`,
              'warning',
            ),
          );
        } else out.push(at(loc, `calling '${t.service}:${t.function}': ${problem}`));
      });
      for (const sub of f.subscriptions) {
        const problem = unknown(sub.service, sub.function);
        if (problem !== undefined) {
          if (lenient && !byName.has(sub.service)) {
            out.push(
              at(
                sub.loc,
                `subscription to '${sub.service}:${sub.function}': service '${sub.service}' is not part of this run, so it was not checked (it must be subscribable and deployed first)`,
                'warning',
              ),
            );
          } else out.push(at(sub.loc, `subscription to '${sub.service}:${sub.function}' (${sub.type}): ${problem}`));
          continue;
        }
        const target = fnIndex.get(`${sub.service}:${sub.function}`)!;
        if (!target.subscribable) {
          const where = target.locs['subscribable'] ?? target.loc;
          const file = byName.get(sub.service)!.external ? 'its contract' : `${where.file}:${where.line}`;
          out.push(
            at(
              sub.loc,
              `cannot subscribe to '${sub.service}:${sub.function}': it is not subscribable (no lifecycle topics); ` +
                `add 'subscribable: true' to it (${file})`,
            ),
          );
        }
      }
    }
  }

  out.push(...validateResiliency(byName, fnIndex));
  if (opts.checkHandlers !== false) out.push(...checkHandlers(byName));
  out.push(...findCycles(byName, fnIndex));
  return out;
}

function checkHandlers(byName: Map<string, ServiceModel>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const s of byName.values()) {
    if (s.external) continue;
    for (const f of s.functions) {
      const loc = f.locs['handler'];
      if (loc === undefined || f.handler.export === '') continue;
      const sp = splitHandler(f.handler.raw);
      if (sp === undefined) continue;
      if (f.handler.file === undefined) {
        out.push(
          at(
            loc,
            `handler file not found: looked for ${sp.base}{${HANDLER_EXTENSIONS.join(',')}} in ${relative(process.cwd(), s.dir) || '.'}; ` +
              `fix the path in 'handler:' (relative to the service directory)`,
          ),
        );
        continue;
      }
      let info: ReturnType<typeof exportedNames>;
      try {
        info = exportedNames(f.handler.file);
      } catch (err) {
        out.push(at(loc, `cannot read handler file ${f.handler.file}: ${(err as Error).message}`));
        continue;
      }
      if (!info.names.has(f.handler.export) && !info.open) {
        const names = [...info.names];
        const near = names.length > 0 ? closest(f.handler.export, names) : undefined;
        out.push(
          at(
            loc,
            `${relative(s.dir, f.handler.file)} has no export '${f.handler.export}'` +
              (near !== undefined ? `; did you mean '${sp.base}.${near}'?` : '; export the handler from that file'),
          ),
        );
      }
    }
  }
  return out;
}

/** Strongly connected components of the sync call graph (iterative Tarjan), reported as warnings. */
function findCycles(byName: Map<string, ServiceModel>, fnIndex: Map<string, FunctionModel>): Diagnostic[] {
  const ids = [...fnIndex.keys()].sort();
  const edges = new Map<string, string[]>();
  for (const id of ids) {
    const f = fnIndex.get(id)!;
    if (byName.get(f.service)?.external) continue;
    edges.set(
      id,
      f.calling.map((t) => `${t.service}:${t.function}`).filter((t) => fnIndex.has(t)),
    );
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { v: string; i: number }[] = [{ v: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const succ = edges.get(top.v) ?? [];
      if (top.i < succ.length) {
        const w = succ[top.i++]!;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(top.v)!));
      if (low.get(top.v) === index.get(top.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.v);
        const selfLoop = comp.length === 1 && (edges.get(comp[0]!) ?? []).includes(comp[0]!);
        if (comp.length > 1 || selfLoop) sccs.push(comp.sort());
      }
    }
  }
  const out: Diagnostic[] = [];
  for (const comp of sccs) {
    const members = new Set(comp);
    const start = comp[0]!;
    // Shortest path back to start inside the component (BFS) for a readable message.
    const prev = new Map<string, string>();
    const queue = [start];
    let found = false;
    for (let q = 0; q < queue.length && !found; q++) {
      const v = queue[q]!;
      for (const w of edges.get(v) ?? []) {
        if (!members.has(w)) continue;
        if (w === start) {
          prev.set(start + '#end', v);
          found = true;
          break;
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const path: string[] = [start];
    let cur = prev.get(start + '#end');
    while (cur !== undefined && cur !== start) {
      path.unshift(cur);
      cur = prev.get(cur);
    }
    path.unshift(start);
    const first = fnIndex.get(start)!;
    const next = path[1]!;
    const i = first.calling.findIndex((t) => `${t.service}:${t.function}` === next);
    out.push(
      at(
        first.locs[`calling[${i}]`] ?? first.loc,
        `sync call cycle: ${path.join(' → ')}. Lambda's recursive loop detection stops a runaway loop after ` +
          `about 16 invocations of the same request chain, and every hop waits on the next meanwhile; make sure ` +
          `the recursion ends (or break the cycle)` +
          (comp.length > path.length - 1 ? ` (${comp.length} functions are in this cycle)` : ''),
        'warning',
      ),
    );
  }
  return out;
}
