/**
 * The TypeScript compiler, loaded the CommonJS way. An ESM `import ts from 'typescript'` makes Node
 * scan all of typescript.js (9 MB) for its export names before running it: about 420 ms against
 * 160 ms for `require` here, on the path of every `svc-mesh dev` and `svc-codegen` start.
 * @internal
 */
import { createRequire } from 'node:module';
import type * as TS from 'typescript';

let loaded: typeof TS | undefined;

export function typescript(): typeof TS {
  loaded ??= createRequire(import.meta.url)('typescript') as typeof TS;
  return loaded;
}
