/**
 * Progress of long work, as the library reports it: a callback the caller
 * passes in and draws as it likes (the CLI draws a bar on a terminal or writes
 * JSON lines; a page can move a <progress>). The library never prints.
 */

/** How far one task of a job has come: `done` of `total` units (photos, queries, rows, ...). */
export interface Progress {
  /** What is being done, in words, e.g. 'describing photos'; a job with several tasks reports each by its own name. */
  task: string;
  done: number;
  total: number;
}

/** Receives a job's {@link Progress} reports; called synchronously from inside the work, so it must be quick. */
export type ProgressListener = (progress: Progress) => void;

/**
 * A reporter for one task of `total` units that calls `listener` only when
 * the done count crosses another 1/`steps` of the total (and always for the
 * first and the last unit), so a loop over 60,000 rows may call it every row.
 * Without a listener it does nothing.
 */
export function progressReporter(listener: ProgressListener | undefined, task: string, total: number, steps = 200): (done: number) => void {
  if (!listener || !(total > 0)) return () => undefined;
  const every = Math.max(1, Math.floor(total / steps));
  let last = -1;
  return (done: number): void => {
    if (done === last) return;
    if (done === 1 || done >= total || Math.floor(done / every) !== Math.floor(Math.max(0, last) / every)) {
      last = done;
      listener({ task, done: Math.min(done, total), total });
    }
  };
}
