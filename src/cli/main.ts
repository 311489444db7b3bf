#!/usr/bin/env node
/**
 * The `contrastive` command. It only parses arguments, calls the library and
 * prints; a {@link ContrastiveError} becomes one line on stderr and exit code 1.
 */
import { Command, CommanderError } from 'commander';
import { ContrastiveError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerCommands } from './commands.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('contrastive')
    .description('Metric learning for TypeScript: train, evaluate and use Siamese networks')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (help and version exit with code 0)
      return err.exitCode;
    }
    if (err instanceof ContrastiveError) {
      process.stderr.write(`contrastive: error: ${err.message}\n`);
      return 1;
    }
    if (process.env.CONTRASTIVE_DEBUG) throw err;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`contrastive: unexpected error: ${message} (set CONTRASTIVE_DEBUG=1 for a stack trace)\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  },
);
