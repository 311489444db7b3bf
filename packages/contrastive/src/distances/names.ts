/** The distances the library knows, by name. */
import { check } from '../errors.js';

/**
 * A distance between two embedding rows:
 * - `'euclidean'`: D = sqrt(sum((a - b)^2)), the distance of Hadsell, Chopra and LeCun (2006);
 * - `'squaredEuclidean'`: D = sum((a - b)^2);
 * - `'cosine'`: D = 1 - cos(a, b), in [0, 2].
 * @group Distances
 */
export type DistanceName = 'euclidean' | 'squaredEuclidean' | 'cosine';

/** Every {@link DistanceName}, in a stable order (for option validation and CLI help). @group Distances */
export const DISTANCE_NAMES: readonly DistanceName[] = ['euclidean', 'squaredEuclidean', 'cosine'];

/** Throws a ContrastiveError naming `fn` when `name` is not a {@link DistanceName}. @group Distances */
export function checkDistanceName(name: unknown, fn: string): asserts name is DistanceName {
  check(
    typeof name === 'string' && (DISTANCE_NAMES as readonly string[]).includes(name),
    fn,
    `unknown distance '${String(name)}' (expected one of ${DISTANCE_NAMES.join(', ')})`,
  );
}
