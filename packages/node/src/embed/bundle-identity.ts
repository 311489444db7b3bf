/**
 * Which bundle made a set of embeddings (an index records it): a SHA-256 over everything that
 * decides the embedding of an input (the TF.js topology and weights, the
 * input shape and preprocessing, the embedding's size, normalisation and
 * distance). Calibrating a bundle (threshold, Platt parameters) or retraining
 * metadata does not change it; new weights or other preprocessing do.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { readManifest } from '../models/bundle.js';
import { readUserFile, USER_FILE_LIMITS } from '../util/user-file.js';

/**
 * A bundle's identity: what an index records (its `ModelIdentity`) so that vectors of
 * another model are refused.
 * @group Embedding
 */
export interface BundleIdentity {
  /** A SHA-256 (hex) of everything that decides the embedding. */
  hash: string;
  /** The bundle directory, resolved: for messages. */
  description: string;
}

/**
 * The identity of the bundle in `dir`: `{ hash, description: dir }`.
 *
 * @throws ContrastiveError (from readManifest) for a missing or invalid bundle, NOT_FOUND for a missing model or weights file.
 * @group Embedding
 */
export async function bundleIdentity(dir: string): Promise<BundleIdentity> {
  const fn = 'bundleIdentity';
  const manifest = await readManifest(dir);
  const hash = createHash('sha256');
  const read = async (file: string): Promise<Buffer> => {
    try {
      return await readUserFile(file, { maxBytes: USER_FILE_LIMITS.large, what: 'bundle file' });
    } catch (err) {
      if (!(err instanceof ContrastiveError) || err.code !== 'NOT_FOUND') throw err;
      throw new ContrastiveError('NOT_FOUND', `${fn}: cannot read ${file} of the bundle ${dir} (${err.message})`, { cause: err });
    }
  };
  hash.update(JSON.stringify({ input: manifest.input, embedding: manifest.embedding }));
  const modelFile = path.join(dir, manifest.files.model);
  const modelJson = await read(modelFile);
  hash.update(modelJson);
  let paths: string[] = [];
  try {
    const parsed = JSON.parse(modelJson.toString('utf8')) as { weightsManifest?: { paths?: string[] }[] };
    paths = (parsed.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
  } catch {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${modelFile} is not JSON`);
  }
  for (const p of paths) hash.update(await read(path.join(dir, p)));
  return { hash: hash.digest('hex'), description: path.resolve(dir) };
}
