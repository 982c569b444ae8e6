import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InferenceSession as Session } from 'onnxruntime-node';
import { featureVector, VERIFIER_FEATURES, type FeatureRecord } from './verifierFeatures';

/** What `python -m rollout_trainer verifier` writes beside the model (verifier.json). */
export interface VerifierCard {
  features: string[];
  input: string;
  output: string;
  opset: number;
  holdout_accuracy: number | null;
  /** Always answering the training set's common outcome, on the held-out runs: the bar to clear. */
  holdout_majority_accuracy?: number | null;
  /** The tasks kept out of training; figures on them are the ones that mean something. */
  holdout_tasks: string[];
  train_accuracy: number | null;
  train_runs: number;
  holdout_runs: number;
}

/** The outcome model, scored in-process with onnxruntime-node (CPU). */
export class Verifier {
  private constructor(
    private readonly session: Session,
    readonly card: VerifierCard,
  ) {}

  /** Loads `verifier.onnx` + `verifier.json` from a `rollout train --method verifier` output folder. */
  static async load(folder: string): Promise<Verifier> {
    const cardPath = join(folder, 'verifier.json');
    let card: VerifierCard;
    try {
      card = JSON.parse(await readFile(cardPath, 'utf8')) as VerifierCard;
    } catch (error) {
      throw new Error(
        `${cardPath}: cannot read the verifier card (${(error as Error).message}); train one with \`rollout train --method verifier\``,
      );
    }
    if (JSON.stringify(card.features) !== JSON.stringify(VERIFIER_FEATURES)) {
      throw new Error(
        `${cardPath}: the model was trained on features [${card.features.join(', ')}], this build computes [${VERIFIER_FEATURES.join(', ')}]; retrain it`,
      );
    }
    // Loaded lazily: the native binding is only needed by the commands that score.
    const { InferenceSession } = await import('onnxruntime-node');
    const session = await InferenceSession.create(join(folder, 'verifier.onnx'), { executionProviders: ['cpu'] });
    return new Verifier(session, card);
  }

  /** Probability of success for each record, in order. */
  async score(records: FeatureRecord[]): Promise<number[]> {
    if (records.length === 0) return [];
    const { Tensor } = await import('onnxruntime-node');
    const flat = new Float32Array(records.length * VERIFIER_FEATURES.length);
    records.forEach((record, row) => flat.set(featureVector(record, `record ${row}`), row * VERIFIER_FEATURES.length));
    const outputs = await this.session.run({
      [this.card.input]: new Tensor('float32', flat, [records.length, VERIFIER_FEATURES.length]),
    });
    return Array.from(outputs[this.card.output].data as Float32Array);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
