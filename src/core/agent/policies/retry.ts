/** Retries for model calls: 408, 409, 429, 5xx and connection failures or timeouts, with exponential backoff. */
import { PolicyError } from './policy';

export interface RetryOptions {
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** Delay before the first retry; doubles each time, with jitter (default 1 s). */
  baseDelayMs?: number;
  /** Longest single wait, a server's `retry-after` included (default 60 s). */
  maxDelayMs?: number;
}

/** What a failed attempt says about trying again. */
export interface FailureClass {
  retryable: boolean;
  status?: number;
  /** From `retry-after-ms` / `retry-after` headers. */
  retryAfterMs?: number;
}

/**
 * Classifies an SDK error. Both vendor SDKs throw an `APIError` with `status` and `headers` for HTTP
 * failures, and status-less subclasses for connection failures, timeouts and aborts, which only the
 * policy can tell apart (with its own SDK's classes).
 */
export function classifyFailure(
  error: unknown,
  sdk: { isConnectionFailure(error: unknown): boolean; isAbort(error: unknown): boolean },
): FailureClass {
  if (sdk.isAbort(error) || (error as Error)?.name === 'AbortError') return { retryable: false };
  if (sdk.isConnectionFailure(error)) return { retryable: true };
  const err = error as { status?: unknown; headers?: Headers | Record<string, string> };
  const status = typeof err?.status === 'number' ? err.status : undefined;
  if (status === undefined) return { retryable: false };
  const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
  return { retryable, status, retryAfterMs: retryAfter(err.headers) };
}

function retryAfter(headers: Headers | Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : headers[name]) ?? undefined;
  const ms = get('retry-after-ms');
  if (ms !== undefined && Number.isFinite(Number(ms))) return Number(ms);
  const value = get('retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Runs `attempt` until it succeeds, retrying what `classify` calls retryable. The final failure
 * becomes a PolicyError whose message starts with `describe` and never holds the key.
 */
export async function withRetries<T>(
  describe: string,
  attempt: () => Promise<T>,
  options: RetryOptions & {
    signal?: AbortSignal;
    classify: (error: unknown) => FailureClass;
    /** Strings cut out of error messages: servers quote a rejected key back. */
    secrets?: string[];
  },
): Promise<{ value: T; retries: number }> {
  const maxRetries = options.maxRetries ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 60_000;
  for (let retries = 0; ; retries++) {
    try {
      return { value: await attempt(), retries };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const failure = options.classify(error);
      const message = withoutSecrets((error as Error)?.message ?? String(error), options.secrets ?? []);
      if (!failure.retryable) throw new PolicyError(`${describe}: ${message}`, failure.status, false);
      if (retries >= maxRetries)
        throw new PolicyError(`${describe}: ${message} (gave up after ${retries + 1} attempts)`, failure.status, true);
      const backoff = baseDelayMs * 2 ** retries * (0.75 + Math.random() * 0.5);
      await sleep(Math.min(failure.retryAfterMs ?? backoff, maxDelayMs), options.signal);
    }
  }
}

function withoutSecrets(message: string, secrets: string[]): string {
  return secrets
    .filter((secret) => secret.length >= 8)
    .reduce((text, secret) => text.split(secret).join('[REDACTED]'), message);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
