/** Bad input at start: a broken serverless.yml starts nothing; a taken port is a typed error. */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLocalMeshStartError, isPortInUseError, startLocalMesh } from '../../../tools/local/index.js';
import { FIXTURES } from './helpers.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('Local mesh: bad input', () => {
  it('reports every serverless.yml error as file:line:col and starts nothing', async () => {
    const port = await freePort();
    const err = await startLocalMesh({ paths: [join(FIXTURES, 'bad-config')], port, quiet: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isLocalMeshStartError(err)).toBe(true);
    const e = err as Error & { code: string; diagnostics: string[] };
    expect(e.code).toBe('LOCAL_MESH_START_FAILED');
    expect(e.diagnostics.length).toBeGreaterThanOrEqual(2);
    for (const d of e.diagnostics) expect(d).toMatch(/bad-config\/broken\/serverless\.yml:\d+:\d+: (error|warning): /);
    expect(e.diagnostics.some((d) => d.includes('serverless.yml:9:'))).toBe(true);
    expect(e.message).toContain('nothing was started');
    // The port was never bound.
    await new Promise<void>((resolve, reject) => {
      const s = createServer()
        .once('error', reject)
        .listen(port, '127.0.0.1', () => s.close(() => resolve()));
    });
  });

  it('throws PortInUseError with a clear message when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await startLocalMesh({ port, quiet: true, tracing: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPortInUseError(err)).toBe(true);
      const e = err as Error & { code: string; port: number };
      expect(e.code).toBe('PORT_IN_USE');
      expect(e.port).toBe(port);
      expect(e.message).toContain(`127.0.0.1:${port} is already in use`);
      expect(e.message).toContain('--port');
    } finally {
      blocker.close();
    }
  });

  it('rejects an invalid port number before doing anything', async () => {
    await expect(startLocalMesh({ port: 70_000, quiet: true })).rejects.toMatchObject({
      code: 'LOCAL_MESH_START_FAILED',
    });
  });
});
