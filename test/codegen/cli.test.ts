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
