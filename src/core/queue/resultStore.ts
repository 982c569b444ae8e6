/**
 * Where queued rollouts leave their trajectories and rewards so that every machine can read them: a shared
 * folder, or an S3-compatible bucket. Either way the recorder writes into a local folder; a bucket gets a copy
 * of the log after every recorded line, so a retry on another machine finds the run where it stopped.
 */
import { SharedFolderStore } from './sharedFolderStore';
import { S3ResultStore, parseS3Url } from './s3ResultStore';

export interface ResultStore {
  /** The local folder the recorder writes runs into. */
  readonly localDir: string;
  /** Where the run's trajectory is for every machine, as a path or `s3://` address. */
  trajectoryLocation(runId: string): string;
  /** Brings what an earlier try left of this run into the local folder, replacing what was there. */
  fetchRun(runId: string): Promise<void>;
  /** Copies one of the run's files (named relative to the run's folder) to the store; the log's after each recorded line. */
  pushFile(runId: string, name: string): Promise<void>;
  /** Once the run has ended, copies its other files (the log is current already) to the store. */
  pushRun(runId: string): Promise<void>;
  /** Removes the run from the store and the local folder, so that its id starts again. */
  removeRun(runId: string): Promise<void>;
}

export function isS3Url(location: string): boolean {
  return location.startsWith('s3://');
}

/** `stagingDir` is where a bucket's runs are written locally before they are copied up. */
export function openResultStore(location: string, stagingDir?: string): ResultStore {
  return isS3Url(location) ? new S3ResultStore(parseS3Url(location), stagingDir) : new SharedFolderStore(location);
}
