/**
 * Retries for model calls. Connection failures, timeouts and 5xx retry with exponential backoff; a 429 waits
 * what the server's Retry-After says. Every other 4xx is final, and so are refusals that name a set-up problem
 * (a known quirk) or a prompt longer than the context: repeating the same request cannot succeed.
 */
import { PolicyError, type ContextOverflow } from './policy';
import { knownQuirk, parseContextOverflow, type QuirkName } from './serverErrors';

export interface RetryOptions {
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** Delay before the first retry; doubles each time, with jitter (default 1 s). */
  baseDelayMs?: number;
  /** Longest backoff between attempts (default 60 s). */
  maxDelayMs?: number;
  /** Longest wait a server's Retry-After may ask for; asking more ends the call (default 10 min). */
  maxRetryAfterMs?: number;
}

/** What a failed attempt says about trying again. */
export interface FailureClass {
  retryable: boolean;
  status?: number;
  /** From `retry-after-ms` / `retry-after` headers. */
  retryAfterMs?: number;
  /** The server said the prompt is longer than the model's context. */
  overflow?: ContextOverflow;
  /** A known set-up problem of the server, named, with its fix. */
  quirk?: { name: QuirkName; hint: string };
}

/** How a policy's client tells its own connection failures and aborts apart (they carry no status). */
export interface ClientErrors {
  isConnectionFailure(error: unknown): boolean;
  isAbort(error: unknown): boolean;
}

/**
 * A stream that ended, cleanly, before the answer did (Ollama's NDJSON without its `done` line): the connection
 * was cut somewhere on the way, so it is retried as a reset would be, never taken for a whole answer.
 */
export class StreamCutShortError extends Error {
  override name = 'StreamCutShortError';
}

const RESET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'EAI_AGAIN']);

/** fetch's failures: a TypeError whose cause is the socket error, a timeout, or a stream cut short. */
export const FETCH_ERRORS: ClientErrors = {
  isConnectionFailure: (error) => {
    const cause = (error as { cause?: { code?: string } })?.cause;
    return (
      error instanceof StreamCutShortError ||
      (error instanceof TypeError && /fetch failed|terminated/i.test(error.message)) ||
      RESET_CODES.has(cause?.code ?? '') ||
      (error as Error)?.name === 'TimeoutError'
    );
  },
  isAbort: (error) => (error as Error)?.name === 'AbortError',
};

/**
 * Classifies a failed call. SDK and fetch errors alike carry `status` and `headers` for HTTP failures; the
 * refusal's text (message and body) is read for known quirks and context overflows.
 */
export function classifyFailure(error: unknown, client: ClientErrors): FailureClass {
  if (client.isAbort(error)) return { retryable: false };
  if (client.isConnectionFailure(error)) return { retryable: true };
  const err = error as { status?: unknown; headers?: Headers | Record<string, string>; error?: unknown };
  const status = typeof err?.status === 'number' ? err.status : inStreamStatus(err?.error);
  const text = `${(error as Error)?.message ?? ''} ${err?.error === undefined ? '' : JSON.stringify(err.error)}`;
  const overflow = parseContextOverflow(text, status);
  if (overflow) return { retryable: false, status, overflow };
  const quirk = knownQuirk(text);
  if (quirk) return { retryable: false, status, quirk };
  if (status === undefined) return { retryable: false };
  return { retryable: isRetryableStatus(status), status, retryAfterMs: retryAfter(err.headers) };
}

/** Rate limits and server failures; 424 is TGI's "Request failed during generation" (a shard failed mid-batch). */
function isRetryableStatus(status: number): boolean {
  return status === 424 || status === 429 || status >= 500;
}

/**
 * The HTTP status each error type stands for: Anthropic's documented types, and OpenAI's `server_error` and
 * `rate_limit_exceeded` (the codes of its Responses API's `error` events and failed responses).
 */
const STATUS_OF_ERROR_TYPE = new Map<unknown, number>([
  ['invalid_request_error', 400],
  ['authentication_error', 401],
  ['permission_error', 403],
  ['not_found_error', 404],
  ['request_too_large', 413],
  ['rate_limit_error', 429],
  ['rate_limit_exceeded', 429],
  ['api_error', 500],
  ['server_error', 500],
  ['overloaded_error', 529],
]);

/**
 * TGI's errors by their words, as the status TGI answers a request that is not streamed with (`InferError`): inside
 * a stream it says 422 of every one, a failed generation and an overloaded router included.
 */
const TGI_STATUS_OF_ERROR: [words: string, status: number][] = [
  ['Request failed during generation', 424],
  ['Model is overloaded', 429],
  ['Incomplete generation', 500],
];

/**
 * An error sent inside a stream, after its 200, has no HTTP status, so the SDKs give none. llama.cpp and vLLM
 * put the status in its `code`, the LiteLLM proxy too but as a string (`"code": "500"`), TGI in its
 * `http_status_code`; Anthropic's `event: error` (`{"type": "error", "error": {"type": "overloaded_error"}}`) and
 * OpenAI's (`{"error": {"type": "server_error", "code": null}}`) name a type, OpenRouter's (`{"error": {"code":
 * "server_error", …}, "choices": [{"finish_reason": "error", …}]}`) in its `code`, read here as the status that type
 * is sent with, so that it is retried as that status would be.
 */
function inStreamStatus(body: unknown): number | undefined {
  const sent = body as
    | { code?: unknown; http_status_code?: unknown; message?: unknown; type?: unknown; error?: { type?: unknown } }
    | undefined;
  if (typeof sent?.code === 'number') return sent.code;
  if (typeof sent?.code === 'string' && /^[1-5]\d\d$/.test(sent.code)) return Number(sent.code);
  if (typeof sent?.http_status_code === 'number') {
    const words = typeof sent.message === 'string' ? sent.message : '';
    return TGI_STATUS_OF_ERROR.find(([start]) => words.startsWith(start))?.[1] ?? sent.http_status_code;
  }
  return STATUS_OF_ERROR_TYPE.get(sent?.error?.type ?? sent?.type ?? sent?.code);
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
 * One attempt bounded as a whole by `timeoutMs` as well as by the caller's `signal`: an SDK's own timeout bounds only
 * the wait for headers, so a server trickling keep-alives would hold a stream for ever. Past the deadline it throws
 * `timedOut(words)`, the client's own timeout error, which is retried as a connection failure.
 */
export async function withinDeadline<T>(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  attempt: (signal: AbortSignal) => Promise<T>,
  timedOut: (words: { message: string }) => Error,
): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    return await attempt(signal ? AbortSignal.any([signal, deadline]) : deadline);
  } catch (error) {
    if (deadline.aborted && !signal?.aborted) throw timedOut({ message: `no whole answer within ${timeoutMs} ms` });
    throw error;
  }
}

/**
 * Runs `attempt` until it succeeds, retrying what `classify` calls retryable. The final failure becomes a
 * PolicyError whose message starts with `describe`, ends with the quirk's fix when there is one, and never
 * holds a key.
 */
export async function withRetries<T>(
  describe: string,
  attempt: () => Promise<T>,
  options: RetryOptions & {
    signal?: AbortSignal;
    classify: (error: unknown) => FailureClass;
    /** Strings cut out of error messages: servers quote a rejected key back. */
    secrets?: string[];
    /** Called before each retry, e.g. to void what a stream showed. */
    onRetry?: (failure: FailureClass) => void;
  },
): Promise<{ value: T; retries: number }> {
  const maxRetries = options.maxRetries ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 60_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 600_000;
  for (let retries = 0; ; retries++) {
    try {
      return { value: await attempt(), retries };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const failure = options.classify(error);
      const said = withoutSecrets((error as Error)?.message ?? String(error), options.secrets ?? []);
      const message = `${describe}: ${said}${failure.quirk ? `\n  fix: ${failure.quirk.hint}` : ''}`;
      const fail = (suffix: string, retryable: boolean) =>
        new PolicyError(`${message}${suffix}`, failure.status, retryable, failure.overflow, failure.quirk?.name);
      if (!failure.retryable) throw fail('', false);
      if (retries >= maxRetries) throw fail(` (gave up after ${retries + 1} attempts)`, true);
      if ((failure.retryAfterMs ?? 0) > maxRetryAfterMs)
        throw fail(
          ` (the server asks to wait ${Math.round(failure.retryAfterMs! / 1000)} s; not waiting that long)`,
          true,
        );
      options.onRetry?.(failure);
      const backoff = Math.min(baseDelayMs * 2 ** retries * (0.75 + Math.random() * 0.5), maxDelayMs);
      await sleep(failure.retryAfterMs ?? backoff, options.signal);
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
