/**
 * Packages loaded on first use rather than when @contrastive/node is imported: a
 * service that only verifies should not pay for an image codec or a CSV parser it
 * never calls (sharp, an image codec, has its own loader: util/sharp.ts). A package that cannot be
 * loaded is a ContrastiveError naming it and the function that needed it.
 */
import { ContrastiveError } from 'contrastive/internal/errors.js';

/**
 * A loader for `specifier`: the first call imports it (later calls share that
 * import) and returns `pick` of its module.
 */
export function lazyModule<M, T>(specifier: string, load: () => Promise<M>, pick: (module: M) => T): (fn: string) => Promise<T> {
  let loading: Promise<T> | undefined;
  return (fn) => {
    loading ??= load().then(pick);
    return loading.catch((err: unknown) => {
      loading = undefined; // a later call tries again (say, after the package was installed)
      throw new ContrastiveError('UNSUPPORTED', `${fn}: the package ${specifier} cannot be loaded (${(err as Error).message.split('\n')[0]})`, { cause: err });
    });
  };
}

