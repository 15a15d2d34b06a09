/**
 * The AWS SDK prints an 8-line warning on Node < 22 in every process that loads it (every command,
 * every test file). Our CLIs say it once per machine and Node major, in one line, and turn the
 * SDK's copy off for this process. A user who set AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED
 * themselves decided already: then nothing is printed.
 * @internal
 */
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const VAR = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
/** The Node major the AWS SDK v3 needs for releases after January 2027. */
const SDK_NODE_MAJOR = 22;

export function nodeVersionNotice(
  env: NodeJS.ProcessEnv = process.env,
  write: (t: string) => unknown = (t) => process.stderr.write(t),
  markerDir = tmpdir(),
  nodeVersion = process.versions.node,
): boolean {
  if (env[VAR] !== undefined) return false;
  env[VAR] = 'true';
  const major = Number(nodeVersion.split('.')[0]);
  if (!(major < SDK_NODE_MAJOR)) return false;
  const marker = join(markerDir, `svc-mesh-node${major}-sdk-notice`);
  if (existsSync(marker)) return false;
  try {
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  } catch {
    // no marker: the notice may show again next time, which is fine
  }
  write(
    `note: Node ${nodeVersion}: AWS SDK v3 releases after January 2027 need Node >= ${SDK_NODE_MAJOR} (https://a.co/c895JFp). Shown once.\n`,
  );
  return true;
}
