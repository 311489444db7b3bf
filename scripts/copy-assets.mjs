#!/usr/bin/env node
// After tsc -b: what the compiler does not copy. The serve page's static files go beside the
// compiled server, and the CLI entry becomes executable.
import { chmodSync, cpSync } from 'node:fs';

const cli = new URL('../packages/cli/', import.meta.url);
cpSync(new URL('src/serve/page/', cli), new URL('dist/serve/page/', cli), { recursive: true });
chmodSync(new URL('dist/cli/main.js', cli), 0o755);
