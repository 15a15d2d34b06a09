/** One row of BENCHMARKS.md: ours against a named baseline, measured side by side in one run. */
export interface BenchRow {
  /** e.g. "warm sdk.invoke p50". */
  metric: string;
  /** The named baseline, e.g. "raw LambdaClient.send(InvokeCommand)". */
  baseline: string;
  /** Baseline value, or null when the baseline is missing (say why in `note`). */
  baselineValue: number | null;
  /** The baseline is a fixed figure (a budget or goal), not measured in this run; shown as such. */
  constantBaseline?: true;
  ours: number;
  unit: string;
  /** ours / baseline, or a stated derived figure; null when no baseline. */
  ratio: number | null;
  /** The goal as written in the issue, e.g. "≤ 1.03". */
  goal: string;
  /**
   * Whether the goal was met (null: no goal, or not measured; a row with a goal that is null
   * counts as missed in BENCHMARKS.md, see bench/report.ts).
   */
  met: boolean | null;
  note?: string;
}

/** A benchmark module exports a default `run()` returning rows. Keep each under ~2 minutes on 2 cores. */
export type Bench = () => Promise<BenchRow[]>;
