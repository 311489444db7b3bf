/** Grouping of examples by class label, shared by the samplers (internal). */
import { check } from '../errors.js';

/** Examples of each class, classes in ascending label order, members in index order. */
export interface ClassGroups {
  /** The distinct labels, ascending. */
  classes: number[];
  /** `members[c]`: indices of the examples whose label is `classes[c]`. */
  members: Int32Array[];
}

/** Checks `labels` (integers) and groups the example indices by label. */
export function groupByClass(fn: string, labels: ArrayLike<number>): ClassGroups {
  check(labels != null && typeof labels.length === 'number', fn, 'labels must be an array of class labels');
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    check(Number.isInteger(y), fn, `labels[${i}] is ${y}, expected an integer class label`);
    let list = byLabel.get(y);
    if (!list) byLabel.set(y, (list = []));
    list.push(i);
  }
  const classes = [...byLabel.keys()].sort((a, b) => a - b);
  return { classes, members: classes.map((c) => Int32Array.from(byLabel.get(c)!)) };
}

/** Checks that `value` is an integer seed. */
export function checkSeed(fn: string, value: unknown): asserts value is number {
  check(typeof value === 'number' && Number.isInteger(value), fn, `seed must be an integer, got ${String(value)}`);
}
