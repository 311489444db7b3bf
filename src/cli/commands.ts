/** Registers every subcommand; each lives in its own file under src/cli/. */
import type { Command } from 'commander';
import { registerBackendCommand } from './backend.js';
import { registerTrainCommand } from './train.js';

export function registerCommands(program: Command): void {
  registerTrainCommand(program);
  registerBackendCommand(program);
}
