/**
 * The project model: what codegen's loader produces from serverless.yml files, and what
 * every later stage (validate, contracts, emit) and the local mesh consume.
 * This file is the contract between codegen and tools/local; change it in one commit with both.
 */
import type { LifecycleType, Target } from 'svc-mesh/internal';
import type { Diagnostic } from './errors.js';

export type { Diagnostic } from './errors.js';

/** A position in a source file, 1-based. */
export interface SourceLoc {
  file: string;
  line: number;
  col: number;
}

export interface Subscription {
  service: string;
  function: string;
  type: LifecycleType;
  /** SNS FilterPolicy (on message attributes), if the subscriber gave one. */
  filterPolicy?: Record<string, unknown>;
  loc: SourceLoc;
}

export interface FunctionModel {
  service: string;
  /** The function key under `functions:`. */
  key: string;
  /** Physical Lambda name: `name:` override or `{service}-{stage}-{key}`. */
  physicalName: string;
  /**
   * Physical name in each stage of the chain `[stage, ...stageFallback]` (a `name:` override is
   * re-resolved per stage), because discovery may resolve this function in a fallback stage.
   */
  physicalNames: Record<string, string>;
  /**
   * Why `name:` could not be read in a stage of the chain (then that stage's physical name above is
   * only the default, a guess). The built service reports the current stage's as an error itself;
   * a reference service's are raised by loadProject, since its other problems are dropped.
   */
  nameErrors?: Diagnostic[];
  handler: {
    /** As written, e.g. `src/handler.hello`. */
    raw: string;
    /** Absolute path of the resolved source file (.ts/.mts/.js/.mjs/.cjs), if found. */
    file: string | undefined;
    /** The export name, e.g. `hello`. */
    export: string;
  };
  /** Provider runtime, e.g. `nodejs20.x`. */
  runtime: string;
  /** Seconds (Serverless default 6). */
  timeout: number;
  /** MB (Serverless default 1024). */
  memorySize: number;
  reservedConcurrency?: number;
  /** provider.environment merged with the function's own `environment:` (variables resolved). */
  environment: Record<string, string>;
  calling: Target[];
  /**
   * Resiliency policies written on `calling:` edges, by `service:function`
   * (`- payments:charge: { timeout: 2s, … }`). See docs/resiliency.md.
   */
  policies?: Record<string, EdgePolicy>;
  /** This function's `resiliency:`: the defaults it asks of every caller (the provider's level). */
  resiliency?: EdgePolicy;
  subscribable: boolean;
  subscriptions: Subscription[];
  loc: SourceLoc;
  /** Locations of individual keys for diagnostics, e.g. `calling[2]`. */
  locs: Record<string, SourceLoc>;
}

/**
 * A resiliency policy as written at one level (edge, service, callee); every field optional.
 * Levels merge key by key: edge > the service's `targets` > the callee's `resiliency:` > the
 * service's `default`. The runtime gets the merged result in SVC_MESH_POLICIES.
 */
export interface EdgePolicy {
  timeoutMs?: number;
  /** Retries after the first attempt, within the runtime's safety rules. */
  retries?: number;
  /** `false` turns off a breaker a less specific level set. */
  circuitBreaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number; tripOn?: string[] } | false;
  /** Bulkhead: concurrent calls to the target from one execution environment. */
  maxConcurrent?: number;
  /** Calls allowed to wait for a bulkhead slot (default 0: reject at once). */
  queue?: number;
  fallback?: 'event' | 'none';
  loc: SourceLoc;
  /** Positions of individual values (`timeout`). */
  locs: Record<string, SourceLoc>;
}

export interface ServiceResiliency {
  default?: EdgePolicy;
  targets: Record<string, EdgePolicy>;
  loc: SourceLoc;
}

export interface ServiceModel {
  name: string;
  /** Absolute directory holding serverless.yml. */
  dir: string;
  /** Absolute path of serverless.yml. */
  file: string;
  region: string;
  runtime: string;
  functions: FunctionModel[];
  loc: SourceLoc;
  /** `custom.svcMesh.resiliency`: defaults for every edge of this service, and per target. */
  resiliency?: ServiceResiliency;
  /**
   * True for a service known only from its contract (`--contracts <dir>`, another repository):
   * it can be called and subscribed to, but nothing is generated for it.
   */
  external: boolean;
}

export type DiscoverySource = 'routes' | 'ssm' | 'exports';

export interface ProjectOptions {
  stage: string;
  /** Stages tried after `stage` during discovery, e.g. ['dev'] for a per-developer stage. */
  stageFallback?: string[];
  /** Overrides every service's `provider.region` (like `serverless --region`). */
  region?: string;
  /**
   * When set, generated ARNs are concrete (`arn:aws:lambda:us-east-1:123456789012:…`); when absent
   * they keep `${AWS::Partition}`, `${AWS::Region}` and `${AWS::AccountId}` for CloudFormation.
   */
  account?: string;
  /** Default `aws`. */
  partition?: string;
  /** Default `['routes', 'ssm']`. `exports` adds `cloudformation:ListExports` and the exports. */
  discovery?: DiscoverySource[];
  /** Default `/svc-mesh`. */
  ssmPrefix?: string;
  /** Variables for `${env:NAME}`; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Derive contracts from handler types (slow: runs the TypeScript checker). Default false. */
  contracts?: boolean;
  /**
   * Service directories read only as references (names, Lambda names, subscribable), like
   * contracts: nothing is generated or validated for them and their own problems are not
   * reported. The Serverless plugin uses the sibling services this way.
   */
  referencePaths?: string[];
  /** Directories of `contracts/<service>.json` from other repositories: their services become callable. */
  externalContracts?: string[];
  /** Managed policies a role may have (IAM default quota 10; 20 on request). Default 10. */
  maxManagedPolicies?: number;
  /** Unsupported variables inside `environment:` values are warnings, not errors (Serverless plugin). */
  lenientEnvironment?: boolean;
  /** Calls and subscriptions to services not loaded: `error` (default) or `warning` (Serverless plugin). */
  unknownServices?: 'error' | 'warning';
  /** Called with progress while loading and extracting types (the CLI draws it on a TTY). */
  onProgress?: (done: number, total: number, what: string) => void;
}

/** The options after defaults. */
export interface ResolvedProjectOptions {
  stage: string;
  stageFallback: string[];
  region: string;
  account: string | undefined;
  partition: string;
  discovery: DiscoverySource[];
  ssmPrefix: string;
  maxManagedPolicies: number;
}

export interface Project {
  options: ResolvedProjectOptions;
  /** Sorted by name; each service's functions sorted by key. */
  services: ServiceModel[];
  /** Warnings found while loading (errors throw CodegenError instead). */
  diagnostics: Diagnostic[];
  /** Contracts by service name, when derived (`contracts: true`) or loaded from `externalContracts`. */
  contracts: Record<string, ServiceContract>;
}

/** JSON Schema (draft-07) as emitted by ts-json-schema-generator. */
export type JsonSchema = Record<string, unknown>;

/** The contract of one function: what it accepts and returns. */
export interface FunctionContract {
  subscribable: boolean;
  /** `subscriber`: defined with defineSubscriber; its schemas describe the events it receives, and it gets no client. */
  kind?: 'subscriber';
  input: JsonSchema;
  output: JsonSchema;
  /** Present when the type could not be derived (the schema is then `{}`, i.e. unknown). */
  untyped?: true;
}

/** `contracts/<service>.json`. */
export interface ServiceContract {
  svcMesh: 1;
  service: string;
  /** `sha256-<base64>` of the canonical JSON of `functions` and `definitions`. */
  hash: string;
  functions: Record<string, FunctionContract>;
  /** Shared named types referenced as `#/definitions/<name>`. */
  definitions: Record<string, JsonSchema>;
}

/** What the local mesh applies at start (and what CloudFormation creates in AWS), concrete ARNs. */
export interface SeedPlan {
  topics: { name: string; arn: string }[];
  subscriptions: { topicArn: string; functionArn: string; filterPolicy?: Record<string, unknown> }[];
  parameters: { name: string; value: string }[];
  exports: { name: string; value: string }[];
}

/** An IAM policy document as generated (one per function). */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: {
    Sid?: string;
    Effect: 'Allow' | 'Deny';
    Action: string | string[];
    Resource: string | string[];
  }[];
}

/** Everything `generate()` produces, in memory. */
export interface Generated {
  /** `${service}:${function}` → the role's policies (first inline, then managed); concrete ARNs when `account` is set. */
  policies: Record<string, PolicyDocument[]>;
  /** service → function key → environment (SVC_MESH_*). */
  env: Record<string, Record<string, Record<string, string>>>;
  seed: SeedPlan;
  /** service → CloudFormation template fragment (merge into the Serverless template, or deploy beside it). */
  cloudformation: Record<string, object>;
  /** Mermaid flowchart. */
  graph: string;
}
