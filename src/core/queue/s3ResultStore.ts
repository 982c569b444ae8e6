/**
 * Results in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO …). Credentials and the endpoint come from the
 * AWS SDK's usual sources: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or a profile), AWS_REGION, and
 * AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for a store other than AWS.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { TRAJECTORY_FILE } from '../trajectory/reader';
import { indexRunFromLog } from '../trajectory/runIndex';
import type { ResultStore } from './resultStore';

export interface S3Location {
  bucket: string;
  /** Empty, or ends with '/'. */
  prefix: string;
}

export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new Error(`expected s3://BUCKET[/PREFIX], got '${url}'`);
  const prefix = match[2].replace(/\/+$/, '');
  return { bucket: match[1], prefix: prefix ? `${prefix}/` : '' };
}

/** The store other than AWS that the SDK will use, as it reads it from the environment. */
function configuredEndpoint(): string | undefined {
  return process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
}

export function s3Client(): S3Client {
  // The pinned SDK runs on Node 20, but warns on every start that later releases will not; that notice is for
  // whoever updates the lockfile, not for the user of a worker.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Stores other than AWS are reached by address, not by a DNS name per bucket.
  return new S3Client({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: configuredEndpoint() !== undefined,
  });
}

/** The SDK's error with what to do about it: a missing bucket, missing credentials, an unreachable store. */
export function explainS3Error(error: unknown, where: string): Error {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  // A HEAD request's error has no body to name it: only its HTTP status tells.
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'NoSuchBucket' || name === 'NotFound') return new Error(`${where}: no such bucket; create it first`);
  if (/credential/i.test(message))
    return new Error(`${where}: no S3 credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (${message})`);
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden'].includes(name))
    return new Error(`${where}: the store refused these credentials (${name})`);
  if (status === 403) return new Error(`${where}: the store refused these credentials (HTTP 403)`);
  const endpoint = configuredEndpoint();
  return new Error(`${where}: ${message || name}${endpoint ? ` (endpoint ${endpoint})` : ''}`);
}

function s3Url({ bucket, prefix }: S3Location, key = ''): string {
  return `s3://${bucket}/${prefix}${key}`;
}

/** Fails with a clear message unless the bucket answers with these credentials. */
export async function assertBucketReachable(location: S3Location, client = s3Client()): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: location.bucket }));
  } catch (error) {
    throw explainS3Error(error, s3Url(location));
  }
}

async function listObjects(client: S3Client, bucket: string, prefix: string): Promise<_Object[]> {
  const objects: _Object[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    objects.push(...(page.Contents ?? []));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

async function download(client: S3Client, bucket: string, key: string, path: string): Promise<void> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, (await object.Body?.transformToByteArray()) ?? new Uint8Array());
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

export class S3ResultStore implements ResultStore {
  readonly localDir: string;
  private readonly client = s3Client();

  constructor(
    readonly location: S3Location,
    stagingDir = join(tmpdir(), 'rollout-studio-staging'),
  ) {
    this.localDir = join(stagingDir, location.bucket, ...location.prefix.split('/').filter(Boolean));
  }

  trajectoryLocation(runId: string): string {
    return s3Url(this.location, `${runId}/${TRAJECTORY_FILE}`);
  }

  async fetchRun(runId: string): Promise<void> {
    const runDir = join(this.localDir, runId);
    await rm(runDir, { recursive: true, force: true });
    await this.guarded(runId, async () => {
      for (const object of await listObjects(this.client, this.location.bucket, this.runPrefix(runId))) {
        const name = (object.Key ?? '').slice(this.runPrefix(runId).length);
        if (name)
          await download(this.client, this.location.bucket, object.Key as string, join(runDir, ...name.split('/')));
      }
    });
  }

  async pushFile(runId: string, name: string): Promise<void> {
    const body = await readFile(join(this.localDir, runId, name));
    await this.guarded(runId, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.location.bucket,
          Key: this.runPrefix(runId) + name.split(sep).join('/'),
          Body: body,
        }),
      ),
    );
  }

  /** The bucket keeps the run from now on: the staging copy goes, so staging does not grow with every run. */
  async pushRun(runId: string): Promise<void> {
    for (const name of await filesUnder(join(this.localDir, runId)))
      if (name !== TRAJECTORY_FILE) await this.pushFile(runId, name);
    await rm(join(this.localDir, runId), { recursive: true, force: true });
  }

  async removeRun(runId: string): Promise<void> {
    await rm(join(this.localDir, runId), { recursive: true, force: true });
    await this.guarded(runId, async () => {
      const keys = (await listObjects(this.client, this.location.bucket, this.runPrefix(runId))).map((object) => ({
        Key: object.Key as string,
      }));
      if (keys.length > 0)
        await this.client.send(new DeleteObjectsCommand({ Bucket: this.location.bucket, Delete: { Objects: keys } }));
    });
  }

  private runPrefix(runId: string): string {
    return `${this.location.prefix}${runId}/`;
  }

  private async guarded<T>(runId: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw explainS3Error(error, s3Url(this.location, `${runId}/`));
    }
  }
}

/**
 * Copies every file under the bucket address into `destDir`, skipping those already there at the same size
 * and no older than the object; returns the names copied (relative to `destDir`) and how many were skipped.
 */
async function pullFromS3(
  location: S3Location,
  destDir: string,
  client = s3Client(),
): Promise<{ copied: string[]; skipped: number }> {
  let objects: _Object[];
  try {
    objects = await listObjects(client, location.bucket, location.prefix);
  } catch (error) {
    throw explainS3Error(error, s3Url(location));
  }
  const copied: string[] = [];
  let skipped = 0;
  for (const object of objects) {
    const name = (object.Key ?? '').slice(location.prefix.length);
    if (!name || name.endsWith('/')) continue;
    const path = join(destDir, ...name.split('/'));
    const local = await stat(path).catch(() => undefined);
    if (local && local.size === object.Size && object.LastModified && local.mtime >= object.LastModified) {
      skipped += 1;
      continue;
    }
    try {
      await download(client, location.bucket, object.Key as string, path);
    } catch (error) {
      throw explainS3Error(error, s3Url(location, name));
    }
    copied.push(name);
  }
  return { copied, skipped };
}

/**
 * `rollout pull` and Pull Runs from S3…: copies the runs queue workers stored under the bucket address into
 * `outDir` and adds each copied trajectory to its run index, so that export, playback and the Runs view read
 * them as local runs.
 */
export async function pullRuns(
  location: S3Location,
  outDir: string,
  client = s3Client(),
): Promise<{ copied: string[]; skipped: number; runIds: string[] }> {
  const { copied, skipped } = await pullFromS3(location, outDir, client);
  const runIds = copied
    .filter((name) => name.endsWith(`/${TRAJECTORY_FILE}`))
    .map((name) => name.slice(0, -TRAJECTORY_FILE.length - 1));
  for (const runId of runIds) await indexRunFromLog(outDir, runId);
  return { copied, skipped, runIds };
}
