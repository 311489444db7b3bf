/**
 * Optional and peer packages (onnxruntime-node, pg, @tensorflow/tfjs-node, the native kernels,
 * sharp, better-sqlite3's binding, ...), loaded only where a feature needs them. A package that
 * is not installed and one that is installed but fails to load are different problems with
 * different fixes; both become one {@link ContrastiveError} that names the package and the
 * command that fixes it, rather than a resolver error from deep inside a loader. Callers with
 * a fallback (TF.js instead of onnxruntime, wasm instead of the native kernels) use
 * {@link isMissingPackage} / {@link packageProblem} to say why they fell back, and throw nothing.
 */
import { ContrastiveError } from './errors.js';

/**
 * Whether `err` says that the package `pkg` itself cannot be found (Node's `MODULE_NOT_FOUND`
 * from `require`, `ERR_MODULE_NOT_FOUND` from `import`), as opposed to one of its own files or
 * dependencies being missing, or its code failing.
 */
export function isMissingPackage(err: unknown, pkg: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return false;
  const message = err instanceof Error ? err.message : String(err);
  // require: "Cannot find module 'pg'" (or 'pgvector/pg'); import: "Cannot find package 'pg' imported from ...".
  const quoted = pkg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`Cannot find (?:module|package) '${quoted}(?:/[^']*)?'`).test(message);
}

/** The first line of an error's message (native loaders append long help texts and stacks). */
export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0].trim();
}

/**
 * The command that installs `pkg` (npm; the other package managers take the same name).
 */
export function installCommand(pkg: string): string {
  return `npm install ${pkg}`;
}

/** What is wrong with `pkg` and how to fix it: 'not installed' or 'installed but failed to load (why)'. */
function problem(pkg: string, err: unknown, install: string): { state: string; fix: string } {
  if (isMissingPackage(err, pkg)) return { state: 'not installed', fix: `install it: ${install}` };
  return { state: `installed but failed to load (${firstLine(err)})`, fix: `reinstall it: ${install}` };
}

/**
 * Why `pkg` could not be loaded, in one clause that names the fix, for a caller that falls back
 * (e.g. 'onnxruntime-node is not installed; install it: npm install onnxruntime-node').
 *
 * @param install the command that installs it, when not {@link installCommand}(pkg).
 */
export function packageProblem(pkg: string, err: unknown, install = installCommand(pkg)): string {
  const { state, fix } = problem(pkg, err, install);
  return `${pkg} is ${state}; ${fix}`;
}

/**
 * The error for a feature that cannot run without `pkg` ('`feature` needs the package X, which
 * is not installed; install it: npm install X'), code 'UNSUPPORTED', the loader's error as its cause.
 */
export function missingPackageError(feature: string, pkg: string, err: unknown, install = installCommand(pkg)): ContrastiveError {
  const { state, fix } = problem(pkg, err, install);
  return new ContrastiveError('UNSUPPORTED', `${feature} needs the package ${pkg}, which is ${state}; ${fix}`, { cause: err });
}

/**
 * Runs `load` (a `require` of `pkg`) and turns its failure into
 * {@link missingPackageError}.
 */
export function loadPackage<T>(feature: string, pkg: string, load: () => T, install?: string): T {
  try {
    return load();
  } catch (err) {
    throw missingPackageError(feature, pkg, err, install);
  }
}
