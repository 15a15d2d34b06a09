/**
 * `svc-mesh dev` run as a user runs it, in a child process: started, its URL read from its
 * output, and stopped with Ctrl-C (SIGINT to its process group, so `npx` and the mesh it
 * starts both get it) when disposed.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface DevProcess extends AsyncDisposable {
  /** The mesh's endpoint, as printed: `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
}

export async function startDevProcess(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DevProcess> {
  const child: ChildProcess = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid, 'SIGINT');
    await exited;
  };
  let output = '';
  try {
    const endpoint = await new Promise<string>((res, rej) => {
      const onData = (b: Buffer) => {
        output += b.toString();
        const m = /local mesh on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        // Ready once the banner is complete (its last line is the hint).
        if (m?.[1] && /Ctrl-C/.test(output)) res(m[1]);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', rej);
      child.once('exit', (code) => rej(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`)));
    });
    return { endpoint, output: () => output, [Symbol.asyncDispose]: stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
