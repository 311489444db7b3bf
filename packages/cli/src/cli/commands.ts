/** Registers every subcommand; each lives in its own file under src/cli/ and imports the library only when it runs. */
import type { Command } from 'commander';
import { registerBackendCommand } from './backend.js';
import { registerTrainCommand } from './train.js';
import { registerEvalCommand } from './eval.js';
import { registerVerifyCommand } from './verify.js';
import { registerCalibrateCommand } from './calibrate.js';
import { registerMarginCommand } from './margin.js';
import { registerCompareCommand } from './compare.js';
import { registerEmbedCommand } from './embed.js';
import { registerExportCommand } from './export.js';
import { registerSignatureCommand } from './signature.js';
import { registerIndexCommand } from './index.js';
import { registerServeCommand } from './serve.js';
import { registerFaceCommand } from './face.js';

export function registerCommands(program: Command): void {
  registerTrainCommand(program);
  registerBackendCommand(program);
  registerEvalCommand(program);
  registerVerifyCommand(program);
  registerCalibrateCommand(program);
  registerMarginCommand(program);
  registerCompareCommand(program);
  registerEmbedCommand(program);
  registerExportCommand(program);
  registerSignatureCommand(program);
  registerIndexCommand(program);
  registerServeCommand(program);
  registerFaceCommand(program);
}
