#!/usr/bin/env node
// Launcher of `svc-mesh` (built code or sources: see ./entry.js).
import { importEntry } from './entry.js';

await importEntry('dist/tools/cli/index.js', 'tools/cli/index.ts');
