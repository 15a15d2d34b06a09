import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/** Thrown (or logged, see `defineFunction` options) when a lifecycle event could not be published to SNS. */
export class PublishError extends SvcMeshError {
  override readonly name = 'PublishError' as const;
  /** `svc:fn` whose event failed. */
  readonly source: string;
  readonly type: string;
  readonly topicArn: string | undefined;
  constructor(
    source: string,
    type: string,
    topicArn: string | undefined,
    reason: string,
    options?: SvcMeshErrorOptions,
  ) {
    super(
      'PUBLISH_FAILED',
      `Could not publish the '${type}' lifecycle event of '${source}'${topicArn ? ` to ${topicArn}` : ''}: ${reason}. ` +
        'Check SVC_MESH_TOPICS / the discovery record and that the function may sns:Publish to its own topics (rerun `svc-codegen`).',
      options,
    );
    this.source = source;
    this.type = type;
    this.topicArn = topicArn;
  }
}

export function isPublishError(err: unknown): err is PublishError {
  return err instanceof Error && err.name === 'PublishError';
}
