/**
 * Errors thrown by the local mesh itself (as opposed to the AWS-shaped errors it answers
 * on the wire, which live with each protocol).
 */
import { SvcMeshError } from 'svc-mesh/errors';

/** A problem found while starting the mesh (bad serverless.yml, bad options); nothing was started. */
export class LocalMeshStartError extends SvcMeshError {
  override readonly name = 'LocalMeshStartError' as const;
  /** `file:line:col: severity: message` lines when the cause was a serverless.yml. */
  readonly diagnostics: readonly string[];
  constructor(message: string, diagnostics: readonly string[] = [], cause?: unknown) {
    super('LOCAL_MESH_START_FAILED', message, cause === undefined ? {} : { cause });
    this.diagnostics = diagnostics;
  }
}

/** The requested port is taken by another process. */
export class PortInUseError extends SvcMeshError {
  override readonly name = 'PortInUseError' as const;
  readonly port: number;
  constructor(port: number, cause?: unknown) {
    super(
      'PORT_IN_USE',
      `Cannot start the local mesh: 127.0.0.1:${port} is already in use. ` +
        `Stop the other process (e.g. another \`svc-mesh dev\`; find it with \`lsof -i :${port}\`), ` +
        'or pick another port with `--port <n>` (`--port 0` takes any free port).',
      cause === undefined ? {} : { cause },
    );
    this.port = port;
  }
}

export function isLocalMeshStartError(err: unknown): err is LocalMeshStartError {
  return err instanceof Error && err.name === 'LocalMeshStartError';
}
export function isPortInUseError(err: unknown): err is PortInUseError {
  return err instanceof Error && err.name === 'PortInUseError';
}
