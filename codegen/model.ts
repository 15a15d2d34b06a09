/**
 * The project model: what codegen's loader produces from serverless.yml files, and what
 * every later stage (validate, contracts, emit) and the local mesh consume.
 * This file is the contract between codegen and src/local; change it in one commit with both.
 */
import type { LifecycleType, Target } from '../src/internal/names.js';

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
  handler: {
    /** As written, e.g. `src/handler.hello`. */
    raw: string;
    /** Absolute path of the resolved source file (.ts/.mts/.js/.mjs/.cjs), if found. */
    file: string | undefined;
    /** The export name, e.g. `hello`. */
    export: string;
  };
  /** Seconds (Serverless default 6). */
  timeout: number;
  /** MB (Serverless default 1024). */
  memorySize: number;
  reservedConcurrency?: number;
  /** provider.environment merged with the function's own `environment:` (variables resolved). */
  environment: Record<string, string>;
  calling: Target[];
  subscribable: boolean;
  subscriptions: Subscription[];
  loc: SourceLoc;
  /** Locations of individual keys for diagnostics, e.g. `calling[2]`. */
  locs: Record<string, SourceLoc>;
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
}

export interface ProjectOptions {
  stage: string;
  /** Stages tried after `stage` during discovery, e.g. ['dev'] for a per-developer stage. */
  stageFallback?: string[];
  region?: string;
  /** When absent, ARNs use `${AWS::AccountId}` etc. in CloudFormation and `000000000000` locally. */
  account?: string;
  partition?: string;
  discovery?: ('routes' | 'ssm' | 'exports')[];
  ssmPrefix?: string;
}

export interface Project {
  options: Required<Omit<ProjectOptions, 'account'>> & { account: string | undefined };
  services: ServiceModel[];
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
