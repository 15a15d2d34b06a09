// After `tsc -p tsconfig.build.json`: the files tsc does not emit but the built package reads
// (the trace viewer's page, script and styles; the Serverless plugin's JSON schemas).
import { cpSync } from 'node:fs';

const root = new URL('../', import.meta.url);
cpSync(new URL('local/traces/viewer/', root), new URL('dist/tools/local/traces/viewer/', root), { recursive: true });
cpSync(
  new URL('../codegen/emit/serverless-schema.json', root),
  new URL('dist/codegen/emit/serverless-schema.json', root),
);
