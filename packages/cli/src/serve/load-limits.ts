/**
 * What the server takes on at once, across all requests: a few heavy requests
 * (those that read uploads, run the model or read files) at a time, a short
 * queue behind them, and one budget of buffered upload bytes shared by every
 * request. Past the queue or the budget a request is answered 503 with
 * Retry-After at once, instead of each request being capped on its own while
 * many together exhaust the memory (four requests of 62 x 10 MiB reached 2.7 GB).
 */
import { ApiError } from './api-error.js';

/** The limits of a {@link RequestGate}. */
export interface LoadLimits {
  /** Heavy requests running at once. */
  maxConcurrent: number;
  /** Heavy requests waiting for a turn; one more is answered 503. */
  maxQueued: number;
  /** Upload bytes buffered by all requests together (and the most one request may send). */
  maxBufferedBytes: number;
  /** Seconds a 503 asks the client to wait (the Retry-After header). */
  retryAfterSeconds: number;
}

/** The 503 of a busy server, with its Retry-After. */
function busy(limits: LoadLimits, why: string): ApiError {
  return new ApiError(503, 'BUSY', `the server is busy (${why}); retry in ${limits.retryAfterSeconds} s`, {}, { 'retry-after': String(limits.retryAfterSeconds) });
}

/** One heavy request's turn: the bytes it holds of the shared budget. Release it once, when its work has ended. */
export interface Turn {
  /**
   * Takes `bytes` more of the shared upload budget for this request.
   *
   * @throws ApiError 413 when this request alone would pass the budget, 503 BUSY
   *   when the others hold too much of it now.
   */
  reserve(bytes: number): void;
  /** Bytes this turn holds. */
  readonly reserved: number;
}

/** Counts heavy requests and buffered upload bytes; see the module comment. */
export class RequestGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private buffered = 0;

  constructor(readonly limits: LoadLimits) {}

  /** Heavy requests running now, waiting now, and upload bytes held now (shown by /api/model). */
  get load(): { running: number; waiting: number; bufferedBytes: number } {
    return { running: this.active, waiting: this.waiting.length, bufferedBytes: this.buffered };
  }

  /**
   * Runs `work` in a turn: at once when fewer than maxConcurrent run, after a
   * wait in the queue otherwise. The turn (and every byte it reserved) is given
   * back when `work` settles, not when the client goes or a timeout answers, so
   * work that outlives its request still counts.
   *
   * @throws ApiError 503 BUSY when maxQueued requests already wait; the error of
   *   `signal` when it aborts while this one waits.
   */
  async run<T>(signal: AbortSignal | undefined, work: (turn: Turn) => Promise<T>): Promise<T> {
    await this.enter(signal);
    let held = 0;
    const turn: Turn = {
      reserve: (bytes: number) => {
        if (held + bytes > this.limits.maxBufferedBytes) {
          throw new ApiError(413, 'TOO_LARGE', `the request's uploads pass the ${this.limits.maxBufferedBytes}-byte limit on one request`);
        }
        if (this.buffered + bytes > this.limits.maxBufferedBytes) throw busy(this.limits, 'other uploads fill the upload memory');
        this.buffered += bytes;
        held += bytes;
      },
      get reserved() {
        return held;
      },
    };
    try {
      return await work(turn);
    } finally {
      this.buffered -= held;
      this.leave();
    }
  }

  private enter(signal: AbortSignal | undefined): Promise<void> {
    if (this.active < this.limits.maxConcurrent) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.limits.maxQueued) {
      return Promise.reject(busy(this.limits, `${this.active} requests running and ${this.waiting.length} waiting`));
    }
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(go);
    });
  }

  /** A finished turn hands its slot straight to the first waiter (active stays the same). */
  private leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
