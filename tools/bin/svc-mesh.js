#!/usr/bin/env node
// Launcher of `svc-mesh` (built code or sources: see ./entry.js).
import { importEntry } from './entry.js';

await importEntry('dist/src/cli/index.js', 'src/cli/index.ts');
