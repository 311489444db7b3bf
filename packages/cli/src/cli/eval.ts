/** `contrastive eval`: verification and retrieval metrics of a bundle on one split of a dataset. */
import type { Command } from 'commander';
import type { BundleEvaluation } from '../jobs/evaluate-bundle.js';
import { addBundleDataOptions, openForData, splitWarning, type BundleDataCliOptions } from './bundle-options.js';
import { f4, toJson, say, warn } from './output.js';
import { progressMode, taskProgress } from './progress.js';

/**
 * Warnings on TAR at a FAR below 1 / (dissimilar pairs): with fewer than 1/FAR
 * dissimilar pairs no false accept can be measured at that rate, so the TAR is
 * that of threshold "accept nothing dissimilar" and means little.
 */
export function tarAtFarWarnings(tarAtFar: Record<string, number>, negatives: number): string[] {
  return Object.keys(tarAtFar)
    .filter((far) => Number(far) * negatives < 1)
    .map((far) => `TAR at FAR=${far} rests on ${negatives} dissimilar pairs (fewer than 1/FAR = ${Math.round(1 / Number(far))}): not measurable here; draw more pairs (--pairs)`);
}

function printTable(model: string, r: BundleEvaluation): void {
  const v = r.verification;
  const s = r.runSplit;
  const split = r.split === 'all' ? 'all examples' : `split ${r.split} (seed ${s.seed}, validation ${s.validation}, test ${s.test}, held out ${s.holdoutClasses.length ? s.holdoutClasses.join(',') : 'none'}; from ${s.source})`;
  const unmeasurable = new Set(Object.keys(v.tarAtFar).filter((far) => Number(far) * v.negatives < 1));
  const lines = [
    `model    ${model}`,
    `dataset  ${r.dataset}, ${split}: ${r.examples} examples`,
    '',
    `verification on ${v.pairs} pairs (${v.positives} similar, ${v.negatives} dissimilar)`,
    `  AUC                       ${f4(v.auc)}`,
    `  EER                       ${f4(v.eer)}   at threshold ${f4(v.eerThreshold)}`,
    v.threshold === null
      ? '  accuracy                  -        (the bundle has no threshold: run contrastive calibrate)'
      : `  accuracy                  ${f4(v.accuracy)}   at the bundle's threshold ${f4(v.threshold)}`,
    `  best accuracy             ${f4(v.bestAccuracy)}   at threshold ${f4(v.bestThreshold)}`,
    ...Object.entries(v.tarAtFar).map(
      ([far, tar]) => `  ${`TAR at FAR=${far}`.padEnd(26)}${unmeasurable.has(far) ? `-        (needs at least ${Math.round(1 / Number(far))} dissimilar pairs)` : f4(tar)}`,
    ),
  ];
  if (r.signature) {
    // signatures: genuine pairs against each kind of forgery on their own (the skilled EER is the harder figure)
    const sg = r.signature;
    const rate = (x: number | null): string => (x === null ? '-' : f4(x));
    lines.push(
      '',
      `forgeries (${sg.pairs.genuine} genuine, ${sg.pairs.skilled} skilled-forgery, ${sg.pairs.random} random-forgery pairs)`,
      `  skilled EER               ${f4(sg.skilledEer)}   AUC ${f4(sg.skilledAuc)}`,
      `  random EER                ${f4(sg.randomEer)}   AUC ${f4(sg.randomAuc)}`,
      sg.threshold === null
        ? '  at the threshold          -        (the bundle has no threshold)'
        : `  at the bundle's threshold FRR ${rate(sg.frr)}, FAR skilled ${rate(sg.farSkilled)}, FAR random ${rate(sg.farRandom)}`,
    );
  }
  if (r.retrieval) {
    const m = r.retrieval;
    lines.push(
      '',
      `retrieval on ${m.queries} queries`,
      `  precision@1               ${f4(m.precisionAt1)}`,
      `  R-precision               ${f4(m.rPrecision)}`,
      `  MAP@R                     ${f4(m.mapAtR)}`,
      ...Object.entries(m.recallAtK).map(([k, x]) => `  ${`recall@${k}`.padEnd(26)}${f4(x)}`),
    );
  } else {
    lines.push('', 'retrieval: - (a pairs dataset has no class labels)');
  }
  if (r.reportFile) lines.push('', `report: ${r.reportFile}`);
  say(lines.join('\n') + '\n');
}

export function registerEvalCommand(program: Command): void {
  const cmd = program.command('eval').description('verification (AUC, EER, accuracy, TAR@FAR) and retrieval (P@1, MAP@R, ...) metrics of a bundle on a dataset split');
  addBundleDataOptions(cmd, 'test')
    .option('--roc', 'include the ROC curve (fpr, tpr, thresholds) in the JSON output')
    .option('--report <file>', 'HTML report file (default: eval-<dataset>-<split>.html beside the bundle directory)')
    .option('--no-report', 'write no HTML report')
    .action(async (o: BundleDataCliOptions & { roc?: boolean; report?: string | false }) => {
      const { evaluateBundle, defaultEvaluationReportFile } = await import('../jobs/evaluate-bundle.js');
      const { bundle, dataset, data } = await openForData(o, 'eval');
      try {
        const report = o.report === false ? undefined : (o.report ?? defaultEvaluationReportFile(bundle.dir, dataset, data.split ?? 'test'));
        const progress = taskProgress(progressMode(o.json), { json: process.stderr });
        let r: BundleEvaluation;
        try {
          r = await evaluateBundle(bundle, dataset, { ...data, report, onProgress: progress.onProgress });
        } finally {
          progress.stop();
        }
        const warnings = [splitWarning(r.split, r.runSplit), ...tarAtFarWarnings(r.verification.tarAtFar, r.verification.negatives)].filter((w): w is string => w !== null);
        if (o.json) {
          const { roc, ...verification } = r.verification;
          process.stdout.write(toJson({ model: bundle.dir, ...r, verification: o.roc ? { ...verification, roc } : verification, warnings }) + '\n');
        } else {
          printTable(bundle.dir, r);
          const split = splitWarning(r.split, r.runSplit);
          if (split) warn(`contrastive: ${split}\n`);
        }
      } finally {
        bundle.network.dispose();
      }
    });
}

// Moved to bundle-options.ts and output.ts; re-exported for command files written against the old place.
export { addBundleDataOptions, openForData, type BundleDataCliOptions } from './bundle-options.js';
export { toJson } from './output.js';
