import { describe, expect, it } from 'vitest';
import { parseCLI, UsageError } from '../../codegen/cli.js';
import { progress } from '../../codegen/commands/report.js';

describe('Function: parseCLI', () => {
  it('parses the generate command with lists and defaults', () => {
    const p = parseCLI([
      'services',
      'more',
      '--stage',
      'alice',
      '--stage-fallback',
      'dev,shared',
      '--discovery',
      'ssm,exports',
      '--account',
      '123456789012',
      '--contracts',
      'a',
      '--contracts',
      'b',
      '--no-types',
    ]);
    expect(p).toEqual({
      command: 'generate',
      paths: ['services', 'more'],
      options: {
        stage: 'alice',
        stageFallback: ['dev', 'shared'],
        out: '.svc-mesh/codegen',
        contracts: ['a', 'b'],
        types: false,
        quiet: false,
        account: '123456789012',
        discovery: ['ssm', 'exports'],
      },
    });
  });

  it('parses check and requires --against', () => {
    expect(parseCLI(['check', '.', '--against', 'prev']).command).toBe('check');
    expect(() => parseCLI(['check', '.'])).toThrow(UsageError);
    expect(() => parseCLI(['--max-managed-policies', '99'])).toThrow(/0 to 20/);
    expect(() => parseCLI(['--stage'])).toThrow(UsageError);
    expect(() => parseCLI(['--bogus'])).toThrow(/Unknown option `--bogus`/);
  });
});

describe('Function: progress', () => {
  const sink = (isTTY: boolean) => {
    const chunks: string[] = [];
    const stream = { isTTY, write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream & {
      isTTY?: boolean;
    };
    return { chunks, io: { stdout: stream, stderr: stream } };
  };

  it('draws and clears a progress line on a TTY', () => {
    const { chunks, io } = sink(true);
    const bar = progress(io, false);
    bar.update(5, 10, 'types');
    bar.update(10, 10, 'types');
    bar.end();
    expect(chunks.join('')).toContain('10/10');
    expect(chunks.at(-1)).toBe('\r\x1b[2K');
  });

  it('stays silent when stderr is not a TTY (CI logs) or with --quiet', () => {
    for (const [tty, quiet] of [
      [false, false],
      [true, true],
    ] as const) {
      const { chunks, io } = sink(tty);
      const bar = progress(io, quiet);
      bar.update(10, 10, 'read');
      bar.end();
      expect(chunks).toEqual([]);
    }
  });
});

describe('Function: printDiagnostics', () => {
  it('adds GitHub Actions annotations when running there', async () => {
    const { printDiagnostics } = await import('../../codegen/commands/report.js');
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
    } as unknown as Parameters<typeof printDiagnostics>[0];
    const d = { file: 'a/serverless.yml', line: 3, col: 5, message: 'bad\nthing 100%', severity: 'error' as const };
    const before = process.env['GITHUB_ACTIONS'];
    try {
      process.env['GITHUB_ACTIONS'] = 'true';
      printDiagnostics(io, [d]);
      delete process.env['GITHUB_ACTIONS'];
      printDiagnostics(io, [d]);
    } finally {
      if (before === undefined) delete process.env['GITHUB_ACTIONS'];
      else process.env['GITHUB_ACTIONS'] = before;
    }
    expect(out).toEqual(['::error file=a/serverless.yml,line=3,col=5::bad%0Athing 100%25\n']);
    expect(err).toEqual([
      'a/serverless.yml:3:5: error: bad\nthing 100%\n',
      'a/serverless.yml:3:5: error: bad\nthing 100%\n',
    ]);
  });
});

describe('bin/svc-codegen.js', () => {
  it('runs the CLI and exits through process.exitCode', async () => {
    const { spawnSync } = await import('node:child_process');
    const { join } = await import('node:path');
    const bin = join(import.meta.dirname, '../../tools/bin/svc-codegen.js');
    const ok = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect([ok.status, ok.stdout]).toEqual([0, '0.1.0\n']);
    const bad = spawnSync(process.execPath, [bin, join(import.meta.dirname, 'does-not-exist'), '--no-types'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/does-not-exist:1:1: error: path not found/);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
