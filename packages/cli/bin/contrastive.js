#!/usr/bin/env node
// The `contrastive` command: the compiled CLI (dist/cli/main.js). A file of its own, so that npm
// links the command when the package installs, also in a clone before `npm run build`.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('contrastive: the CLI is not built yet (run npm run build in the repository)\n');
  process.exit(2);
}
await import(main.href);
