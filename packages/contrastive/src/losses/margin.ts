/**
 * The margin rule, in one place. A loss or a miner takes any finite margin >= 0
 * (with m = 0 a dissimilar pair costs nothing: a valid, if useless, loss).
 * Training, its diagnostics and margin sweeps need m > 0: with m = 0 nothing
 * ever pushes a dissimilar pair apart.
 */
import { check } from '../errors.js';

/**
 * Throws a ContrastiveError naming `fn` and the option unless `value` is a finite
 * number >= 0, or > 0 with `positive`.
 */
export function checkMargin(value: unknown, fn: string, options: { name?: string; positive?: boolean } = {}): asserts value is number {
  const name = options.name ?? 'margin';
  const rule = options.positive ? '> 0' : '>= 0';
  const ok = typeof value === 'number' && Number.isFinite(value) && (options.positive ? value > 0 : value >= 0);
  check(ok, fn, `${name} must be a finite number ${rule}, got ${String(value)}`);
}
