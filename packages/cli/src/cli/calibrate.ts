/** `contrastive calibrate`: chooses a bundle's threshold on a split and writes it into the bundle. */
import { InvalidArgumentError, type Command } from 'commander';
import type { CalibrationTarget } from 'contrastive/internal/eval/calibration.js';
import { addBundleDataOptions, openForData, splitWarning, type BundleDataCliOptions } from './bundle-options.js';
import { optionWithDefault } from './options.js';
import { signed, toJson, say, warn } from './output.js';
import { echoValue } from 'contrastive/internal/util/format.js';

/** Parses 'accuracy', 'eer' or 'far=RATE' (RATE in (0, 1), e.g. far=1e-3). */
export function calibrationTarget(value: string): CalibrationTarget {
  const v = value.trim();
  if (v === 'accuracy' || v === 'eer') return { kind: v };
  const m = /^far=(.+)$/.exec(v);
  const far = m ? Number(m[1]) : NaN;
  if (!m || !Number.isFinite(far) || far <= 0 || far >= 1) {
    throw new InvalidArgumentError(`expected accuracy, eer or far=RATE with RATE in (0, 1) such as far=1e-3, got '${echoValue(value)}'`);
  }
  return { kind: 'far', far };
}

export function registerCalibrateCommand(program: Command): void {
  const cmd = program.command('calibrate').description("choose a bundle's decision threshold on a split (validation by default) and write it, with p(same | distance), into the bundle");
  addBundleDataOptions(cmd, 'validation')
    .addOption(
      optionWithDefault(
        '--target <t>',
        'accuracy (best accuracy) | eer (FAR = FRR) | far=RATE (largest TAR with FAR <= RATE, e.g. far=1e-3)',
        calibrationTarget,
        { kind: 'accuracy' } as CalibrationTarget,
        'accuracy',
      ),
    )
    .action(async (o: BundleDataCliOptions & { target: CalibrationTarget }) => {
      const { calibrateBundle, runSplitOf } = await import('../jobs/evaluate-bundle.js');
      const { bundle, dataset, data } = await openForData(o, 'calibrate');
      try {
        const before = bundle.manifest.threshold;
        const warning = splitWarning(o.split, await runSplitOf(bundle, data.runSplit));
        const r = await calibrateBundle(bundle, dataset, { ...data, target: o.target });
        if (o.json) {
          process.stdout.write(toJson({ model: bundle.dir, previousThreshold: before, ...r, warnings: warning ? [warning] : [] }) + '\n');
          return;
        }
        const c = r.calibration;
        say(
          [
            `wrote ${bundle.dir}/manifest.json`,
            `  threshold    ${r.threshold.toPrecision(6)}  (was ${before === null ? 'none' : before.toPrecision(6)})`,
            `  target       ${c.target}, on ${c.pairs} ${c.dataset}`,
            `  accuracy     ${c.accuracy.toFixed(4)}   FAR ${c.far.toFixed(4)}   FRR ${c.frr.toFixed(4)}   TAR ${c.tar.toFixed(4)}`,
            `  p(same | d)  1 / (1 + exp(${c.probability.a.toPrecision(6)} * d${signed(c.probability.b)}))`,
          ].join('\n') + '\n',
        );
        if (warning) warn(`contrastive: ${warning}\n`);
      } finally {
        bundle.network.dispose();
      }
    });
}
