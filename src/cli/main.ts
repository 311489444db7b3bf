#!/usr/bin/env node
/** The `contrastive` executable: runs the command line of src/cli/program.ts and sets the exit code. */
import { main } from './program.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  },
);
