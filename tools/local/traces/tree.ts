/**
 * Orders a trace's spans as a tree for display (terminal waterfall; the viewer has the same
 * rules in viewer.js): children under their parent by start time; a span whose parent has not
 * been received hangs under a span it links to (a consumer under its producer), else at the top.
 */
import type { TraceSpan } from './TraceStore.js';

export interface TreeRow {
  span: TraceSpan;
  depth: number;
  /** Whether this is its parent's last child (for drawing the tree). */
  last: boolean;
  /** For each ancestor level, whether a vertical line continues below it. */
  rails: boolean[];
  /** The span it hangs under, if any. */
  parent: TraceSpan | undefined;
  /** 'link' when placed under a linked span because its parent is missing. */
  via: 'parent' | 'link' | null;
  /** Its parent id is set but that span was not received. */
  missingParent: boolean;
}

export function spanTree(spans: readonly TraceSpan[]): TreeRow[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  const via = new Map<string, 'parent' | 'link'>();
  for (const s of spans) {
    let parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
    let how: 'parent' | 'link' = 'parent';
    if (!parent) {
      const l = s.links.find((x) => x.spanId !== s.spanId && byId.has(x.spanId));
      if (l) {
        parent = byId.get(l.spanId);
        how = 'link';
      }
    }
    if (parent && parent !== s) {
      const list = children.get(parent.spanId) ?? [];
      list.push(s);
      children.set(parent.spanId, list);
      via.set(s.spanId, how);
    } else roots.push(s);
  }
  const out: TreeRow[] = [];
  const seen = new Set<string>();
  const walk = (s: TraceSpan, depth: number, last: boolean, rails: boolean[], parent: TraceSpan | undefined) => {
    if (seen.has(s.spanId)) return;
    seen.add(s.spanId);
    out.push({
      span: s,
      depth,
      last,
      rails,
      parent,
      via: via.get(s.spanId) ?? null,
      missingParent: s.parentSpanId !== null && !byId.has(s.parentSpanId),
    });
    const kids = (children.get(s.spanId) ?? []).sort((a, b) => a.startMs - b.startMs);
    kids.forEach((k, i) => {
      walk(k, depth + 1, i === kids.length - 1, depth === 0 ? [] : [...rails, !last], s);
    });
  };
  const sortedRoots = roots.sort((a, b) => a.startMs - b.startMs);
  sortedRoots.forEach((r) => {
    walk(r, 0, true, [], undefined);
  });
  // a parent cycle (bad data) leaves spans unvisited: show them at the top rather than lose them
  for (const s of spans) walk(s, 0, true, [], undefined);
  return out;
}
