/**
 * Live training diagnostics for pair losses: how far similar and dissimilar
 * pairs sit, how many dissimilar pairs are still inside the margin, the two terms
 * of the contrastive loss, and an alarm when the embedding collapses to a point.
 * Pure arithmetic on typed arrays (float64 accumulators); it never prints.
 *
 * Label convention: 0 = similar pair, 1 = dissimilar pair. The loss terms are the
 * training loss's own per-pair formula (losses/pair-loss.ts), with the run's positive
 * margin and convention scale, so the validation loss is the loss the run trains on.
 */
import { check } from '../errors.js';
import { conventionRule, type ContrastiveConvention } from '../losses/conventions.js';
import { checkMargin } from '../losses/margin.js';
import { contrastivePairLoss, type PairLossTerms } from '../losses/pair-loss.js';

/**
 * The loss settings the diagnostics' loss figures follow besides the margin (those of the
 * contrastive loss the run trains with). Labels stay 0 = similar, 1 = dissimilar whatever the
 * convention: only its scale applies here.
 * @group Training
 */
export interface DiagnosticsLoss {
  /** The positive margin m+ (a similar pair costs scale * max(0, D - m+)^2); default 0. */
  posMargin?: number;
  /** The convention whose scale the loss figures use; default 'hadsell' (1/2). */
  convention?: ContrastiveConvention;
}

/** Statistics of one set of pair distances (an epoch's validation pairs, a batch). @group Training */
export interface PairDiagnostics {
  /** The margin m the figures refer to. */
  margin: number;
  /** Pairs counted (finite distances only). */
  pairCount: number;
  positiveCount: number;
  negativeCount: number;
  /** Pairs whose distance was NaN or infinite: left out of every other figure. */
  nonFiniteCount: number;
  /** Mean distance of similar pairs (NaN when there are none). */
  meanPositive: number;
  /** Mean distance of dissimilar pairs (NaN when there are none). */
  meanNegative: number;
  /** Share of dissimilar pairs with D < margin: the ones the loss still pushes apart (NaN when none). */
  activeNegativeFraction: number;
  /**
   * Share of similar pairs with D >= margin: similar pairs that sit as far apart as
   * the margin asks dissimilar ones to be (NaN when none). Every similar pair with
   * D > 0 has a loss, so this, not "D > 0", is the useful count.
   */
  positiveOutsideMarginFraction: number;
  /** Mean loss of similar pairs, 1/2 D^2 by default (1/2 max(0, D - m+)^2 with a positive margin; NaN when none). */
  positiveLoss: number;
  /** Mean of 1/2 max(0, m - D)^2 over dissimilar pairs (scale per convention; NaN when none); m^2/2 when they all collapse. */
  negativeLoss: number;
  /** Mean contrastive loss over all pairs (NaN when none). */
  loss: number;
}


/** Accumulates pairs one by one; shared by both entry points. */
class Accumulator {
  private nPos = 0;
  private nNeg = 0;
  private nBad = 0;
  private sumPos = 0;
  private sumNeg = 0;
  private activeNeg = 0;
  private farPos = 0;
  private lossPos = 0;
  private lossNeg = 0;
  constructor(
    private readonly margin: number,
    private readonly terms: PairLossTerms,
  ) {}

  add(d: number, dissimilar: boolean): void {
    if (!Number.isFinite(d)) {
      this.nBad++;
      return;
    }
    if (dissimilar) {
      this.nNeg++;
      this.sumNeg += d;
      this.lossNeg += contrastivePairLoss(d, false, this.terms);
      if (d < this.margin) this.activeNeg++;
    } else {
      this.nPos++;
      this.sumPos += d;
      this.lossPos += contrastivePairLoss(d, true, this.terms);
      if (d >= this.margin) this.farPos++;
    }
  }

  result(): PairDiagnostics {
    const ratio = (a: number, b: number): number => (b > 0 ? a / b : NaN);
    const total = this.nPos + this.nNeg;
    return {
      margin: this.margin,
      pairCount: total,
      positiveCount: this.nPos,
      negativeCount: this.nNeg,
      nonFiniteCount: this.nBad,
      meanPositive: ratio(this.sumPos, this.nPos),
      meanNegative: ratio(this.sumNeg, this.nNeg),
      activeNegativeFraction: ratio(this.activeNeg, this.nNeg),
      positiveOutsideMarginFraction: ratio(this.farPos, this.nPos),
      positiveLoss: ratio(this.lossPos, this.nPos),
      negativeLoss: ratio(this.lossNeg, this.nNeg),
      loss: ratio(this.lossPos + this.lossNeg, total),
    };
  }
}

/** The per-pair formula's terms for `margin` and the run's loss settings. */
function lossTerms(margin: number, loss: DiagnosticsLoss | undefined, fn: string): PairLossTerms {
  const posMargin = loss?.posMargin ?? 0;
  checkMargin(posMargin, fn, { name: 'posMargin' });
  return { margin, posMargin, scale: conventionRule(loss?.convention ?? 'hadsell', fn).scale };
}

/**
 * Diagnostics of pairs given as one distance per pair and its similarity label
 * (0 similar, 1 dissimilar). Non-finite distances are counted in
 * `nonFiniteCount` and left out of the other figures, so a diverging run is
 * reported rather than thrown.
 *
 * @throws ContrastiveError on different lengths, a label other than 0/1, a
 *   negative distance, or a margin that is not a positive finite number.
 * @group Training
 */
export function pairDiagnostics(distances: ArrayLike<number>, labels: ArrayLike<number>, margin: number, loss?: DiagnosticsLoss): PairDiagnostics {
  const fn = 'pairDiagnostics';
  checkMargin(margin, fn, { positive: true });
  const terms = lossTerms(margin, loss, fn);
  check(distances != null && labels != null, fn, 'distances and labels are required');
  check(
    distances.length === labels.length,
    fn,
    `distances has ${distances.length} entries but labels has ${labels.length}`,
  );
  const acc = new Accumulator(margin, terms);
  for (let k = 0; k < labels.length; k++) {
    const y = labels[k];
    check(y === 0 || y === 1, fn, `labels[${k}] is ${y}, expected 0 (similar) or 1 (dissimilar)`);
    check(!(distances[k] < 0), fn, `distances[${k}] is ${distances[k]}, a distance cannot be negative`);
    acc.add(distances[k], y === 1);
  }
  return acc.result();
}

/**
 * Diagnostics of every unordered pair i < j of a batch, from its N x N distance
 * matrix (row-major) and the class labels of its rows: same class = similar.
 *
 * @throws ContrastiveError when the matrix is not N x N for N labels, a class
 *   label is not an integer, a distance is negative, or the margin is bad.
 * @group Training
 */
export function batchPairDiagnostics(
  distanceMatrix: ArrayLike<number>,
  classLabels: ArrayLike<number>,
  margin: number,
  loss?: DiagnosticsLoss,
): PairDiagnostics {
  const fn = 'batchPairDiagnostics';
  checkMargin(margin, fn, { positive: true });
  const terms = lossTerms(margin, loss, fn);
  check(distanceMatrix != null && classLabels != null, fn, 'distanceMatrix and classLabels are required');
  const n = classLabels.length;
  check(
    distanceMatrix.length === n * n,
    fn,
    `distanceMatrix has ${distanceMatrix.length} values but classLabels has ${n} entries (expected ${n} x ${n} = ${n * n})`,
  );
  for (let i = 0; i < n; i++) {
    check(Number.isInteger(classLabels[i]), fn, `classLabels[${i}] is ${classLabels[i]}, expected an integer class label`);
  }
  const acc = new Accumulator(margin, terms);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = distanceMatrix[i * n + j];
      check(!(d < 0), fn, `distanceMatrix[${i * n + j}] (row ${i}, column ${j}) is ${d}, a distance cannot be negative`);
      acc.add(d, classLabels[i] !== classLabels[j]);
    }
  }
  return acc.result();
}

/** Options of {@link collapseAlarm}. @group Training */
export interface CollapseAlarmOptions {
  /** Distances below `tolerance * margin` count as collapsed. Default 0.05. */
  tolerance?: number;
}

/**
 * Says whether the embedding has collapsed, as a message for the user, or null.
 *
 * The rule: the alarm sounds when the mean dissimilar distance AND the mean
 * similar distance (when there are similar pairs) are both below
 * `tolerance * margin` (default 5% of m). Then every pair sits near one point, the
 * negative loss term is stuck near its maximum m^2/2 (at least (1 - tolerance)^2
 * m^2/2 by Jensen's inequality, about 0.9 m^2/2) and - with a distance whose
 * gradient vanishes at D = 0 - the loss cannot push the pairs apart again. It also
 * sounds when some distances were NaN or infinite. No dissimilar pairs: no alarm.
 * @group Training
 */
export function collapseAlarm(diag: PairDiagnostics, margin: number, options: CollapseAlarmOptions = {}): string | null {
  const fn = 'collapseAlarm';
  checkMargin(margin, fn, { positive: true });
  const tolerance = options.tolerance ?? 0.05;
  check(Number.isFinite(tolerance) && tolerance > 0 && tolerance < 1, fn, `tolerance must be in (0, 1), got ${tolerance}`);
  check(diag != null && typeof diag.negativeCount === 'number', fn, 'diag must come from pairDiagnostics');
  if (diag.nonFiniteCount > 0) {
    return (
      `${diag.nonFiniteCount} of ${diag.nonFiniteCount + diag.pairCount} pair distances are NaN or infinite: ` +
      'training diverged (lower the learning rate, check the inputs, use a NaN-safe distance)'
    );
  }
  if (diag.negativeCount === 0) return null;
  const limit = tolerance * margin;
  const negCollapsed = diag.meanNegative < limit;
  const posCollapsed = diag.positiveCount === 0 || diag.meanPositive < limit;
  if (!(negCollapsed && posCollapsed)) return null;
  const fmt = (x: number): string => (Number.isNaN(x) ? 'n/a' : x.toPrecision(3));
  return (
    `embeddings collapsed: mean distance ${fmt(diag.meanPositive)} (similar) and ${fmt(diag.meanNegative)} (dissimilar) ` +
    `are below ${fmt(limit)} (${tolerance * 100}% of margin ${margin}); the negative loss term ${fmt(diag.negativeLoss)} ` +
    `is stuck near m^2/2 = ${fmt((margin * margin) / 2)} (lower the learning rate, check input normalisation, ` +
    'or use a distance with a non-zero gradient at D = 0)'
  );
}
