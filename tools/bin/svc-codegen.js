#!/usr/bin/env node
// Launcher of `svc-codegen` (built code or sources: see ./entry.js).
import { importEntry } from './entry.js';

await importEntry('dist/codegen/cli.js', 'codegen/cli.ts');
