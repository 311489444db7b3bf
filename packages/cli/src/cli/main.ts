#!/usr/bin/env node
/** The `contrastive` executable: runs the command line of src/cli/program.ts and sets the exit code. */
import { main } from './program.js';

// a reader that stops early (`contrastive index search ... | head`) ends the output, not the process with a stack trace
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  },
);
