/**
 * Signature verification with a saved bundle (`contrastive signature verify`):
 * is the questioned signature by the writer of the reference signatures? Each
 * file is prepared as the bundle says (online: the signature preprocessing
 * saved at training; offline: the image preprocessing), and the questioned
 * signature's mean distance to the references is compared with the threshold.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { decodeImage } from '@contrastive/node/internal/data/index.js';
import { toModelInput } from 'contrastive/internal/models/model-input.js';
import { scorePairs } from 'contrastive/internal/eval/held-out-pairs.js';
import { probabilitySame } from 'contrastive/internal/eval/calibration.js';
import { preprocessSignature, readSignatureFile, signaturePreprocessingSchema, type SignaturePreprocessing } from '@contrastive/signatures/internal/index.js';
import { headOf, openBundle, type OpenBundle } from './evaluate-bundle.js';

/** What {@link verifySignature} returns (`--json` prints the first four fields). @group Signatures */
export interface SignatureVerifyResult {
  /**
   * Mean distance of the questioned signature to the references; writer-dependent:
   * divided by the mean distance among the references.
   */
  distance: number;
  /** The threshold applied: the one passed, else the bundle's. */
  threshold: number;
  /** distance <= threshold: the questioned signature is accepted as the writer's. */
  genuine: boolean;
  /** p(genuine | distance) from the bundle's Platt parameters, or null when it has none (or the score is writer-dependent). */
  probability: number | null;
  /** Distance to each reference, in the order given. */
  distances: number[];
}

/** Options of {@link verifySignature}. @group Signatures */
export interface SignatureVerifyOptions {
  /** Overrides the bundle's threshold (the writer-dependent one with `writerDependent`). */
  threshold?: number;
  /**
   * Writer-dependent decision: the mean distance to the references divided by the
   * mean distance among them (at least 2 references), against the writer-dependent
   * threshold the bundle stores (`signature demo --references K --out DIR`).
   */
  writerDependent?: boolean;
}

/** The writer-dependent threshold a bundle stores (metrics.signature.writerDependent.threshold), or null. */
function writerDependentThreshold(bundle: OpenBundle): number | null {
  const sig = bundle.manifest.metrics.signature as { writerDependent?: { threshold?: unknown } } | undefined;
  const t = sig?.writerDependent?.threshold;
  return typeof t === 'number' && Number.isFinite(t) ? t : null;
}

const FN = 'signature verify';

/** The online-signature preprocessing of a bundle, or null when it takes images. @group Signatures */
export function bundleSignaturePreprocessing(bundle: OpenBundle): SignaturePreprocessing | null {
  const p = bundle.manifest.input.preprocessing;
  if (p.kind === 'image') return null;
  const raw = p.kind === 'sequence' ? p.rawInput : undefined;
  if (!raw || raw.kind !== 'online-signature') {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${FN}: the bundle ${bundle.dir} was not trained on signatures (its input is ${p.kind}${raw ? ` from '${raw.kind}'` : ''}); train one on a signatures:DIR dataset, e.g. with signatureDemo or 'contrastive signature demo'`,
    );
  }
  const parsed = signaturePreprocessingSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ContrastiveError('INVALID_DATA', `${FN}: ${bundle.dir}/manifest.json: input.preprocessing.rawInput.${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** Reads and prepares one signature file as the bundle's model input. */
async function readInput(bundle: OpenBundle, file: string, online: SignaturePreprocessing | null): Promise<Float32Array> {
  const p = bundle.manifest.input.preprocessing;
  if (online) {
    const seq = preprocessSignature(await readSignatureFile(file), online, file);
    const want = bundle.network.inputShape[0];
    check(want === null || want === seq.length, FN, `${file}: resampled to ${seq.length} points but the bundle ${bundle.dir} takes ${want}`);
    return seq.data;
  }
  if (p.kind !== 'image') throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: the bundle ${bundle.dir} takes ${p.kind} inputs`);
  check(p.channels === 1 || p.channels === 3, FN, `the bundle ${bundle.dir} takes images with ${p.channels} channels; only 1 or 3 can be decoded`);
  return toModelInput(await decodeImage(file, { width: p.width, height: p.height, channels: p.channels }, FN), p);
}

/**
 * Verifies `questioned` against one or more `references` of the claimed
 * writer: online signature files (SVC2004 .txt, .csv, .json) for a bundle
 * trained on online signatures, images for one trained on offline signatures.
 *
 * @throws ContrastiveError for a bundle not trained on signatures, a missing
 *   or bad file (naming it), no references, or no threshold.
 * @group Signatures
 */
export async function verifySignature(
  bundle: OpenBundle | string,
  references: readonly string[],
  questioned: string,
  options: SignatureVerifyOptions = {},
): Promise<SignatureVerifyResult> {
  check(Array.isArray(references) && references.length >= 1, FN, 'give at least one reference signature');
  const b = typeof bundle === 'string' ? await openBundle(bundle) : bundle;
  try {
    const wd = options.writerDependent === true;
    if (wd) check(references.length >= 2, FN, `a writer-dependent decision needs at least 2 references (their spread is the writer's scale), got ${references.length}`);
    const threshold = options.threshold ?? (wd ? writerDependentThreshold(b) : b.manifest.threshold);
    if (threshold === null || threshold === undefined) {
      throw new ContrastiveError(
        'STATE',
        wd
          ? `${FN}: the bundle ${b.dir} has no writer-dependent threshold; make one with signatureDemo's { references } ('contrastive signature demo') or pass { threshold: T }`
          : `${FN}: the bundle ${b.dir} has no threshold; calibrate it first (calibrateBundle, or 'contrastive calibrate') or pass { threshold: T }`,
      );
    }
    check(Number.isFinite(threshold), FN, `threshold must be a finite number, got ${threshold}`);
    const online = bundleSignaturePreprocessing(b);
    const rows = [];
    for (const file of [questioned, ...references]) rows.push(await readInput(b, file, online));
    const size = rows[0].length;
    const x = new Float32Array(rows.length * size);
    rows.forEach((r, k) => x.set(r, k * size));
    const emb = await b.network.embedBatched(x);
    const head = headOf(b, FN);
    const scorer = { distance: b.network.distanceName, head };
    const dim = b.network.embeddingDim;
    const refs = references.map((_, k) => k + 1);
    let list: number[];
    let spread = 1;
    try {
      list = Array.from(scorePairs(emb, emb, dim, new Array(refs.length).fill(0), refs, scorer));
      if (wd) {
        const ia: number[] = [];
        const ib: number[] = [];
        for (let a = 0; a < refs.length; a++) for (let c = a + 1; c < refs.length; c++) (ia.push(refs[a]), ib.push(refs[c]));
        const among = Array.from(scorePairs(emb, emb, dim, ia, ib, scorer));
        spread = among.reduce((s, d) => s + d, 0) / among.length;
        check(spread > 0, FN, 'the reference signatures are identical to the model (mean distance 0 among them); a writer-dependent score needs distinct references');
      }
    } finally {
      head?.dispose();
    }
    const distance = list.reduce((s, d) => s + d, 0) / list.length / spread;
    if (!Number.isFinite(distance)) throw new ContrastiveError('NUMERIC', `${FN}: the bundle ${b.dir} puts ${questioned} at distance ${distance} from the references (its embeddings are not finite there)`);
    const platt = b.manifest.calibration?.probability;
    return {
      distance,
      threshold,
      genuine: distance <= threshold,
      probability: platt && !wd ? probabilitySame(distance, { a: platt.a, b: platt.b }) : null,
      distances: list,
    };
  } finally {
    if (typeof bundle === 'string') b.network.dispose();
  }
}
