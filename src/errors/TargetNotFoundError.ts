import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/** One place discovery looked: `{ stage, source: 'routes'|'ssm'|'exports'|'lambda', name }`. */
export interface SearchedLocation {
  readonly stage: string | undefined;
  readonly source: 'routes' | 'ssm' | 'exports' | 'lambda';
  /** The parameter name, export name, route key or function ARN looked up. */
  readonly name: string;
}

/**
 * Thrown when discovery finds no record for a target in any stage of the chain, or when
 * Lambda answers ResourceNotFoundException for the resolved function even after one re-resolve.
 * `searched` lists every stage and source that was tried.
 */
export class TargetNotFoundError extends SvcMeshError {
  override readonly name = 'TargetNotFoundError' as const;
  readonly target: string;
  readonly searched: readonly SearchedLocation[];
  constructor(target: string, searched: readonly SearchedLocation[], detail?: string, options?: SvcMeshErrorOptions) {
    const stages = [...new Set(searched.map((s) => s.stage).filter((s) => s !== undefined))];
    const list = searched.map((s) => `${s.source}${s.stage ? `[${s.stage}]` : ''} ${s.name}`).join('; ');
    super(
      'TARGET_NOT_FOUND',
      `Target '${target}' was not found${stages.length ? ` in stage${stages.length > 1 ? 's' : ''} ${stages.join(' → ')}` : ''}` +
        `${detail ? `: ${detail}` : ''}. Searched: ${list || '(nothing: every discovery source is disabled)'}. ` +
        'Fix: deploy the target service to one of these stages (or add it to SVC_MESH_STAGE_FALLBACK), check the ' +
        'spelling, or add an explicit route (SVC_MESH_ROUTES).',
      options,
    );
    this.target = target;
    this.searched = searched;
  }
}

export function isTargetNotFoundError(err: unknown): err is TargetNotFoundError {
  return err instanceof Error && err.name === 'TargetNotFoundError';
}
