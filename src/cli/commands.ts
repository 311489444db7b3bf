/** Registers every subcommand; each lives in its own file under src/cli/. */
import type { Command } from 'commander';
import { registerBackendCommand } from './backend.js';

export function registerCommands(program: Command): void {
  registerBackendCommand(program);
}
