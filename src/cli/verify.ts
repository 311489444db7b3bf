/** `contrastive verify`: are A and B the same? (image files or dataset rows) */
import { InvalidArgumentError, type Command } from 'commander';
import { BACKEND_CHOICES, initBackend, type BackendChoice } from '../engine/backend.js';
import { openBundle } from '../jobs/evaluate-bundle.js';
import { verifyPair } from '../jobs/verify-pair.js';
import { oneOf } from './options.js';
import { parsePairInput, ROW_FORMS } from './inputs.js';

function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a finite number, got '${value}'`);
  return n;
}

interface VerifyCliOptions {
  model: string;
  threshold?: number;
  dataDir?: string;
  backend: BackendChoice;
  json?: boolean;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description(`decide whether A and B are the same, each an image file or a dataset row (${ROW_FORMS})`)
    .argument('<A>', 'image file or dataset row')
    .argument('<B>', 'image file or dataset row')
    .requiredOption('--model <dir>', 'model bundle directory')
    .option('--threshold <t>', "accept as same when distance <= t (default: the bundle's calibrated threshold)", finiteNumber)
    .option('--data-dir <dir>', 'folder of the Fashion-MNIST files for fashion-mnist rows')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--json', 'print one JSON object { distance, threshold, same, probability }')
    .action(async (a: string, b: string, o: VerifyCliOptions) => {
      const inputA = parsePairInput(a, 'A');
      const inputB = parsePairInput(b, 'B');
      await initBackend(o.backend);
      const bundle = await openBundle(o.model);
      try {
        const r = await verifyPair(bundle, inputA, inputB, { threshold: o.threshold, dataDir: o.dataDir });
        if (o.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
        } else {
          const p = r.probability === null ? '' : `, p(same) ${r.probability.toFixed(4)}`;
          process.stdout.write(`${r.same ? 'same' : 'different'}: distance ${r.distance.toPrecision(6)} ${r.same ? '<=' : '>'} threshold ${r.threshold.toPrecision(6)}${p}\n`);
        }
      } finally {
        bundle.network.dispose();
      }
    });
}
