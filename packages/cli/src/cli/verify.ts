/** `contrastive verify`: are A and B the same? (image files or dataset rows) */
import type { Command } from 'commander';
import { finiteNumber } from './options.js';
import { parsePairInput, ROW_FORMS } from './inputs.js';
import { addModelOptions, openModel } from './bundle-options.js';
import { say, jsonText } from './output.js';

interface VerifyCliOptions {
  model: string;
  threshold?: number;
  dataDir?: string;
  backend: import('@contrastive/node/internal/engine/names.js').BackendChoice;
  json?: boolean;
}

export function registerVerifyCommand(program: Command): void {
  const cmd = program
    .command('verify')
    .description(`decide whether A and B are the same, each an image file or a dataset row (${ROW_FORMS})`)
    .argument('<A>', 'image file or dataset row')
    .argument('<B>', 'image file or dataset row');
  addModelOptions(cmd)
    .option('--threshold <t>', "accept as same when distance <= t, or the S-normalised score for a bundle with a cohort (default: the bundle's calibrated threshold)", finiteNumber)
    .option('--data-dir <dir>', 'folder of the Fashion-MNIST files for fashion-mnist rows')
    .option('--json', 'print one JSON object { distance, threshold, same, score, probability }')
    .action(async (a: string, b: string, o: VerifyCliOptions) => {
      const inputA = parsePairInput(a, 'A');
      const inputB = parsePairInput(b, 'B');
      const { verifyPair } = await import('../jobs/verify-pair.js');
      const bundle = await openModel(o, 'verify');
      try {
        const r = await verifyPair(bundle, inputA, inputB, { threshold: o.threshold, dataDir: o.dataDir });
        if (o.json) {
          process.stdout.write(jsonText(r) + '\n');
        } else {
          const p = r.probability === null ? '' : `, p(same) ${r.probability.toFixed(4)}`;
          const measure = r.score === r.distance ? `distance ${r.distance.toPrecision(6)}` : `s-norm score ${r.score.toPrecision(6)} (distance ${r.distance.toPrecision(6)})`;
          say(`${r.same ? 'same' : 'different'}: ${measure} ${r.same ? '<=' : '>'} threshold ${r.threshold.toPrecision(6)}${p}\n`);
        }
      } finally {
        bundle.network.dispose();
      }
    });
}
