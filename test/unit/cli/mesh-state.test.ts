/**
 * `.svc-mesh/dev.json`: how `svc-mesh invoke` finds the running mesh. A second `svc-mesh dev` in
 * the same folder must not take the file from a live first one (and, stopping, delete it while
 * the first still runs).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findMeshState, meshEndpoint, writeMeshState } from '../../../tools/cli/lib/meshState.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('dev.json', () => {
  it('is written, found from a subfolder, and removed by the mesh that wrote it', () => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-state-'));
    const s = writeMeshState(dir, 'http://127.0.0.1:4710', 'dev');
    expect(s.other).toBeUndefined();
    mkdirSync(join(dir, 'svc'));
    expect(findMeshState(join(dir, 'svc'))).toMatchObject({ endpoint: 'http://127.0.0.1:4710', pid: process.pid });
    s.remove();
    expect(findMeshState(dir)).toBeUndefined();
  });

  it('gives svc-mesh traces and svc-mesh fault the running mesh’s port, unless --endpoint names another', () => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-state-'));
    expect(meshEndpoint(undefined, dir)).toBe('http://127.0.0.1:4710');
    const s = writeMeshState(dir, 'http://127.0.0.1:43111', 'dev');
    mkdirSync(join(dir, 'svc'));
    expect(meshEndpoint(undefined, join(dir, 'svc'))).toBe('http://127.0.0.1:43111');
    expect(meshEndpoint('http://127.0.0.1:5000', join(dir, 'svc'))).toBe('http://127.0.0.1:5000');
    s.remove();
    expect(meshEndpoint(undefined, dir)).toBe('http://127.0.0.1:4710');
  });

  it('stays with a live mesh already recorded there: a second one writes nothing and removes nothing', () => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-state-'));
    const file = join(dir, '.svc-mesh', 'dev.json');
    mkdirSync(join(dir, '.svc-mesh'));
    // the first mesh: a live process that is not this one
    const first = { endpoint: 'http://127.0.0.1:4710', pid: process.ppid, stage: 'dev' };
    writeFileSync(file, JSON.stringify(first));
    const s = writeMeshState(dir, 'http://127.0.0.1:43709', 'dev');
    expect(s.other).toMatchObject({ endpoint: first.endpoint, pid: first.pid });
    s.remove();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(first);
    expect(findMeshState(dir)?.endpoint).toBe(first.endpoint);
  });

  it('replaces the file of a mesh that is gone', () => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-state-'));
    mkdirSync(join(dir, '.svc-mesh'));
    writeFileSync(
      join(dir, '.svc-mesh', 'dev.json'),
      JSON.stringify({ endpoint: 'http://x', pid: 2 ** 22 + 7, stage: 'dev' }),
    );
    const s = writeMeshState(dir, 'http://127.0.0.1:4711', 'dev');
    expect(s.other).toBeUndefined();
    expect(findMeshState(dir)?.endpoint).toBe('http://127.0.0.1:4711');
    s.remove();
  });
});
