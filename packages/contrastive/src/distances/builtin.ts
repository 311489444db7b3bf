/** The built-in distances as {@link Distance} objects, and the object for any distance given by name or object. */
import type { DistanceName } from './names.js';
import { checkDistance, isDistanceObject, matrixFromPairs, type Distance, type DistanceLike } from './distance.js';
import { pairDistances } from './pair-distances.js';

function builtin(name: DistanceName): Distance {
  const pairs = (a: import('@tensorflow/tfjs').Tensor2D, b: import('@tensorflow/tfjs').Tensor2D) => pairDistances(a, b, name);
  return { name, pairs, matrix: (x, y) => matrixFromPairs(pairs, x, y) };
}

/** 'euclidean', 'squaredEuclidean' and 'cosine' as {@link Distance} objects (NaN-safe gradients, see `pairDistances`). @group Distances */
export const DISTANCES: Readonly<Record<DistanceName, Distance>> = {
  euclidean: builtin('euclidean'),
  squaredEuclidean: builtin('squaredEuclidean'),
  cosine: builtin('cosine'),
};

/** The {@link Distance} object of a name or object; throws a ContrastiveError naming `fn` for anything else. @group Distances */
export function distanceOf(distance: DistanceLike, fn = 'distanceOf'): Distance {
  checkDistance(distance, fn);
  return isDistanceObject(distance) ? distance : DISTANCES[distance];
}
