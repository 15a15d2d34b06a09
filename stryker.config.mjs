// @ts-check
/**
 * Mutation testing (StrykerJS + its vitest runner): `npm run mutate -- <area>` (see docs/mutation.md).
 * One area at a time: each names the files to mutate and the only test files that run against
 * them, so an area finishes on 2 busy cores. Paths live here only.
 *
 * `npm run mutate -- <area>` sets MUTATE_AREA; `npx stryker run stryker.config.mjs --mutate <glob>
 * --testFiles <glob>` works for anything else.
 */

/** @type {Record<string, { mutate: string[]; testFiles: string[] }>} */
export const AREAS = {
  // Lifecycle events: runInvocation's start/terminal logic and the publisher. The message codec
  // (src/events/encode.ts, decode.ts) is its own area, events-codec.
  events: {
    mutate: ['src/invoke/runInvocation.ts', 'src/events/LifecyclePublisher.ts'],
    testFiles: [
      'test/unit/events/*.test.ts',
      'test/integration/runtime/run-invocation.test.ts',
      'test/integration/runtime/lifecycle-publisher.test.ts',
      'test/integration/runtime/tracing-lifecycle.test.ts',
      'test/integration/runtime/lifecycle-record.test.ts',
    ],
  },
  'events-codec': {
    mutate: ['src/events/encode.ts', 'src/events/decode.ts'],
    testFiles: ['test/unit/events/*.test.ts'],
  },
  // The invoke path, in two areas so each finishes on 2 busy cores. invoke: the Sdk's call, options,
  // errors and spans (every mutant there is covered by most tests, so only the tests of the call
  // itself run: no local mesh, no resilience suite). invoke-wire: payload checks and the wire format.
  invoke: {
    mutate: ['src/invoke/Sdk.ts'],
    testFiles: [
      'test/unit/invoke/*.test.ts',
      'test/integration/runtime/invoke.test.ts',
      'test/integration/runtime/bad-input.test.ts',
      'test/integration/runtime/shorthand.test.ts',
      'test/integration/runtime/tracing-lifecycle.test.ts',
    ],
  },
  'invoke-wire': {
    mutate: ['src/invoke/payload.ts', 'src/invoke/wire.ts'],
    testFiles: [
      'test/unit/invoke/*.test.ts',
      'test/unit/errors/remote-chain.test.ts',
      'test/integration/runtime/forged-error-marker.test.ts',
      'test/integration/runtime/invoke.test.ts',
    ],
  },
  // Retry safety: bounded by deadline and signal, Retry-After honoured, only what may be retried.
  retry: {
    mutate: ['src/internal/retry.ts'],
    testFiles: ['test/unit/internal/retry.test.ts', 'test/unit/internal/retry-safety.test.ts'],
  },
  discovery: {
    mutate: ['src/discovery/ServiceResolver.ts'],
    testFiles: [
      'test/unit/discovery/*.test.ts',
      'test/integration/runtime/invoke.test.ts',
      'test/integration/runtime/discovery-record-identity.test.ts',
    ],
  },
  // Resiliency per edge: breakers, bulkheads, edge timeouts, fallbacks, health, fault specs.
  resilience: {
    mutate: ['src/resilience/index.ts', 'src/resilience/policy.ts', 'src/resilience/faultSpec.ts'],
    testFiles: [
      'test/unit/resilience/*.test.ts',
      'test/unit/invoke/sdk-edges.test.ts',
      'test/integration/resilience/faults-breaker.test.ts',
    ],
  },
  // The local mesh's IAM evaluator.
  'iam-evaluator': {
    mutate: ['tools/local/iam/evaluate.ts'],
    testFiles: ['test/unit/local/iamEvaluate.test.ts', 'test/integration/local/iam.test.ts'],
  },
  // SNS filter policies in the local mesh.
  'sns-filter': {
    mutate: ['tools/local/sns/filterPolicy.ts'],
    testFiles: ['test/unit/local/filterPolicy.test.ts'],
  },
  // Codegen's IAM emission: the policies and the ARNs in them.
  'iam-emission': {
    mutate: ['codegen/emit/iam.ts', 'codegen/emit/arns.ts'],
    // Fast tests only: least-privilege.test.ts (independent evaluator) and golden.test.ts also check
    // these files but take 15-20 s per run, too slow to repeat per mutant on 2 cores.
    testFiles: ['test/codegen/unit-iam.test.ts', 'test/codegen/iam-split.test.ts'],
  },
};

const area = process.env['MUTATE_AREA'];
if (area !== undefined && !(area in AREAS))
  throw new Error(`Unknown mutation area "${area}". Areas: ${Object.keys(AREAS).join(', ')}.`);
const chosen = area === undefined ? Object.values(AREAS) : [AREAS[area]];
const name = area ?? 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  // vitest.stryker.config.ts: 'svc-mesh' imports resolve to the sandbox's (mutated) sources.
  vitest: { configFile: 'vitest.stryker.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: chosen.flatMap((a) => a.mutate),
  testFiles: chosen.flatMap((a) => a.testFiles),
  // Two shared cores: one test process at a time.
  concurrency: 1,
  timeoutMS: 15_000,
  timeoutFactor: 2,
  ignoreStatic: true,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  ignorePatterns: ['reports', '.svc-mesh', 'dist'],
  thresholds: { high: 90, low: 80, break: null },
};
