/**
 * Warns when a service uses a feature whose AWS SDK v3 client cannot be loaded from its folder
 * (where its handlers resolve packages, in the local mesh as in a Lambda bundle): calling another
 * function needs @aws-sdk/client-lambda, SSM discovery @aws-sdk/client-ssm, `subscribable: true`
 * @aws-sdk/client-sns, exports discovery @aws-sdk/client-cloudformation. At run time the same
 * miss is a MISSING_DEPENDENCY error; this says it before the first call.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Diagnostic } from '../errors.js';
import type { ResolvedProjectOptions, ServiceModel } from '../model.js';

function installed(dir: string, pkg: string): boolean {
  try {
    createRequire(join(dir, 'package.json')).resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

export function missingClientWarnings(
  services: readonly ServiceModel[],
  options: ResolvedProjectOptions,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const s of services) {
    if (s.external) continue;
    const needs: [string, string][] = [];
    const calls = s.functions.some((f) => f.calling.length > 0);
    if (calls) needs.push(['@aws-sdk/client-lambda', 'its functions call others (calling:)']);
    if (calls && options.discovery.includes('ssm'))
      needs.push(['@aws-sdk/client-ssm', 'calls are resolved through SSM discovery records']);
    if (calls && options.discovery.includes('exports'))
      needs.push(['@aws-sdk/client-cloudformation', "discovery includes 'exports'"]);
    if (s.functions.some((f) => f.subscribable))
      needs.push(['@aws-sdk/client-sns', 'a function is subscribable: true (lifecycle events go to SNS)']);
    for (const [pkg, why] of needs) {
      if (installed(s.dir, pkg)) continue;
      out.push({
        file: s.file,
        line: s.loc.line,
        col: s.loc.col,
        severity: 'warning',
        message:
          `service '${s.name}' needs ${pkg} because ${why}, and it is not installed where its handlers load packages; ` +
          `calls will fail with MISSING_DEPENDENCY. Fix: npm install ${pkg}`,
      });
    }
  }
  return out;
}
