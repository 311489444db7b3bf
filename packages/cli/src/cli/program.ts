/**
 * The `contrastive` command. It only parses arguments, calls the library and
 * prints. Every error is one line in one style, `contrastive: error: ...`
 * (with --json: one JSON object `{ "type": "error", ... }` on stdout), exit 1.
 * Commands import the library in their actions, so `--help` loads no TensorFlow.js.
 * `main` runs in-process too (tests drive many invocations through one process);
 * src/cli/main.ts is the executable that calls it.
 */
import { Command, CommanderError } from 'commander';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { VERSION } from 'contrastive/internal/version.js';
import { oneLine, printable } from 'contrastive/internal/util/format.js';
import { jsonText } from './output.js';
import { registerCommands } from './commands.js';
import { cliWording } from './wording.js';
import { FLAG_ALIASES } from './training-options.js';

/**
 * How a library message names the code it comes from: a function (`loadBundle`), a
 * class (`EmbeddingIndex`) or a member of one (`EmbeddingIndex.open`,
 * `SiameseNetwork.embedBatched`). A single word (`embed`, `knn`) is not one: it may
 * be a command's name; nor is an error class (`TypeError`) or an acronym (`PostgreSQL`).
 */
const CODE_NAME = String.raw`(?![A-Za-z0-9]*Error\b)(?:[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+|[A-Z][A-Za-z0-9]*(?=\.))(?:\.[a-z][A-Za-z0-9]*)*`;

/** The code names a message starts with, after a command's name if it has one ('index build: '), which stays. */
const LEADING_CODE_NAMES = new RegExp(String.raw`^((?:[a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*)*: )?)(?:${CODE_NAME}: )+`);

/**
 * A library message without the internal function names it starts with
 * ('loadBundle: x is missing' -> 'x is missing', 'EmbeddingIndex.open: ...' and
 * 'index build: EmbeddingIndex.open: ...' alike): users type commands, not functions.
 */
export function userMessage(message: string): string {
  return message.replace(LEADING_CODE_NAMES, '$1');
}

export { cliWording } from './wording.js';

/** The long flags of `command` and of the commands above it. */
function flagsOf(command: Command | undefined): Set<string> {
  const flags = new Set<string>();
  for (let c: Command | null | undefined = command; c; c = c.parent) {
    for (const option of c.options) if (option.long) flags.add(option.long);
  }
  return flags;
}

/** The longest error line printed; the middle of a longer one is cut (a value echoed whole could be megabytes). */
export const MAX_ERROR_LENGTH = 2000;

/**
 * An error message as printed: one line (whatever a library below put in it),
 * control characters shown as escapes (a file name must not drive the
 * terminal), at most {@link MAX_ERROR_LENGTH} characters.
 */
export function errorLine(message: string): string {
  let line = printable(oneLine(message), true);
  if (line.length > MAX_ERROR_LENGTH) {
    const head = Math.floor(MAX_ERROR_LENGTH * 0.7);
    const tail = MAX_ERROR_LENGTH - head;
    line = `${line.slice(0, head)} ... (${line.length - head - tail} characters cut) ... ${line.slice(-tail)}`;
  }
  return line;
}

function report(json: boolean, code: string, message: string): void {
  message = errorLine(message);
  if (json) process.stdout.write(jsonText({ type: 'error', code, message }) + '\n');
  else process.stderr.write(`contrastive: error: ${message}\n`);
}

/** Runs `contrastive ...argv`; resolves to the exit code (errors are printed, never thrown). */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const program = new Command();
  program
    .name('contrastive')
    .description('Metric learning for TypeScript: train, evaluate and use Siamese networks')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // commander's own messages ("error: unknown option ...") in the one style
      outputError: (s) => report(json, 'INVALID_ARGUMENT', s.trim().replace(/^error: /, '')),
    });
  registerCommands(program);
  let running: Command | undefined; // the command whose action runs: its flags word the library's messages
  program.hook('preAction', (_program, action) => {
    running = action;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (help and version exit with code 0)
      return err.exitCode;
    }
    if (err instanceof ContrastiveError) {
      report(json, err.code, cliWording(userMessage(err.message), flagsOf(running), FLAG_ALIASES));
      return 1;
    }
    if (process.env.CONTRASTIVE_DEBUG) throw err;
    const message = err instanceof Error ? err.message : String(err);
    report(json, 'UNEXPECTED', `unexpected error: ${message} (set CONTRASTIVE_DEBUG=1 for a stack trace)`);
    return 2;
  }
}
