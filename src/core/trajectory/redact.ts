/**
 * Secret redaction for everything that reaches a trajectory or an export. It never rewrites ordinary code: it
 * replaces only
 * - exact secrets: registered ones (API keys from settings and config files) and the values of environment
 *   variables whose names say they hold one, in their raw, JSON-escaped and URL-encoded forms, and
 * - well-known credential shapes (`sk-…`, `ghp_…`, AWS access key ids, PEM private key blocks, JWTs, bearer
 *   tokens), each with a check that the match looks random rather than like a word or a placeholder.
 * It does not guess at `name = value` assignments: `password = make_password(raw)` is code, not a secret.
 * Patches, diffs and the agent's tool-call arguments are code (applied, graded, trained on): they lose exact
 * secrets only (see `redactTurn` and `redactResult`), never altered by shape. So does the opaque extension a
 * server put on a tool call (Gemini's thought signature, base64 that can hold a key shape by chance), and so do the
 * signatures and encrypted data of reasoning blocks, which go back to the server on resume and are refused there if
 * altered; the blocks' readable text loses key shapes as all text does.
 */
import { existsSync } from 'node:fs';
import type { ChatMessage, RunResult, Trajectory, Turn } from './types';

export const REDACTED = '[REDACTED]';

/** Environment variable names whose values are secrets: DB_PASSWORD, DBPASSWORD, HF_TOKEN, AWS_SECRET_ACCESS_KEY … */
const SECRET_ENV_NAME =
  /PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|(^|_)(KEY|PAT|AUTH)(_|$)/i;
/** Names that match but hold a location or a switch, not a secret (`TOKENIZERS_PARALLELISM`, `SECRETS_DIR`). */
const NOT_A_SECRET_ENV_NAME = /(_FILE|_PATH|_DIR|_HOME|_PARALLELISM)$/i;
/** Shorter values are too likely to be ordinary words or numbers appearing elsewhere. */
const MIN_SECRET_LENGTH = 8;

/** A credential format that can be recognised without knowing the credential. */
interface KeyShape {
  pattern: RegExp;
  /** Whether a match is a real-looking credential rather than a word, an identifier or a documented example. */
  accept?: (match: string) => boolean;
}

const hasDigit = (text: string) => /\d/.test(text);
const hasLetter = (text: string) => /[A-Za-z]/.test(text);
const mixed = (text: string) => hasDigit(text) && hasLetter(text);
const BASE64_CHARS = /[A-Za-z0-9+/]/g;

/** Order matters: specific prefixes before the generic `sk-`. */
const KEY_SHAPES: KeyShape[] = [
  {
    // The body may be split by real newlines or by `\n` escapes (a key inside a JSON or source string).
    pattern:
      /-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----(?:[A-Za-z0-9+/=:,\- \t\r\n]|\\[rn])+?-----END \1-----/g,
    accept: (match) => (match.match(BASE64_CHARS)?.length ?? 0) >= 64,
  },
  { pattern: /\bsk-ant-[a-z]+\d*-[A-Za-z0-9_-]{20,}/g },
  { pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g, accept: (match) => mixed(match.slice(3)) },
  { pattern: /\b[rs]k_live_[A-Za-z0-9]{20,}/g },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g },
  { pattern: /\bgithub_pat_[A-Za-z0-9_]{50,}/g },
  { pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  // AWS documents AKIAIOSFODNN7EXAMPLE as its example key id; it appears in real code and is no secret.
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, accept: (match) => !match.includes('EXAMPLE') },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, accept: (match) => hasDigit(match) },
  { pattern: /\bhf_[A-Za-z0-9]{30,}\b/g },
  { pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g },
  // What `django-admin startproject` writes into settings.py: the prefix and 50 random characters.
  {
    pattern: /django-insecure-[a-z0-9!@#$%^&*(\-_=+)]{50}(?![a-z0-9!@#$%^&*(\-_=+)])/g,
    accept: (match) => mixed(match.slice(16)),
  },
];
/**
 * `Bearer <token>` keeps its scheme word so the text still reads. (`Basic` credentials are left alone: the
 * examples of RFC 6749 and its kin fill docstrings of real libraries, and a real one is a registered secret.)
 */
const BEARER = /\b(Bearer)[ \t]+([A-Za-z0-9._~+/=-]{20,})/g;

export class Redactor {
  private readonly secrets = new Set<string>();
  private literals: RegExp | undefined;

  /** `env`: environment whose secret values are redacted (defaults to this process's). */
  constructor(options: { env?: NodeJS.ProcessEnv; secrets?: Iterable<string> } = {}) {
    for (const [name, value] of Object.entries(options.env ?? process.env)) {
      if (value && isSecretEnvName(name) && !isLocation(value)) this.register(value);
    }
    for (const secret of options.secrets ?? []) this.register(secret);
  }

  /** Adds a secret string (e.g. a key read from a config file) to redact wherever it appears. */
  register(secret: string): void {
    const value = secret.trim();
    if (value.length < MIN_SECRET_LENGTH || this.secrets.has(value)) return;
    this.secrets.add(value);
    this.literals = undefined;
  }

  /** Replaces registered secrets (every form of them) and known credential shapes. */
  redactText(text: string): string {
    let out = this.redactSecrets(text);
    for (const { pattern, accept } of KEY_SHAPES)
      out = out.replace(pattern, (match) => (accept && !accept(match) ? match : REDACTED));
    return out.replace(BEARER, (match, scheme: string, credential: string) =>
      mixed(credential) ? `${scheme} ${REDACTED}` : match,
    );
  }

  /** Replaces registered secrets only: for code (patches), which must never be changed by a guess. */
  redactSecrets(text: string): string {
    const literals = this.literalPattern();
    return literals ? text.replace(literals, REDACTED) : text;
  }

  /** A deep copy of `value` with every string redacted (object keys are left as they are). */
  redact<T>(value: T): T {
    return this.redactValue(value, (text) => this.redactText(text)) as T;
  }

  /** A deep copy of `value` with registered secrets replaced in every string, and nothing else. */
  redactSecretsIn<T>(value: T): T {
    return this.redactValue(value, (text) => this.redactSecrets(text)) as T;
  }

  private redactValue(value: unknown, redactString: (text: string) => string): unknown {
    if (typeof value === 'string') return redactString(value);
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item, redactString));
    if (value !== null && typeof value === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) copy[key] = this.redactValue(item, redactString);
      return copy;
    }
    return value;
  }

  /** One alternation of every form of every secret, longest first so a secret that holds another goes whole. */
  private literalPattern(): RegExp | undefined {
    if (this.literals || this.secrets.size === 0) return this.literals;
    const forms = new Set<string>();
    for (const secret of this.secrets) for (const form of encodedForms(secret)) forms.add(form);
    const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.literals = new RegExp(alternatives.join('|'), 'g');
    return this.literals;
  }
}

export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV_NAME.test(name) && !NOT_A_SECRET_ENV_NAME.test(name);
}

/** A value that names a file or folder on this machine (`GOOGLE_APPLICATION_CREDENTIALS=/path/key.json`) is no secret. */
function isLocation(value: string): boolean {
  return /^(\/|~\/|[A-Za-z]:\\)\S*$/.test(value) && existsSync(value.replace(/^~(?=\/)/, process.env.HOME ?? '~'));
}

/** How a secret shows up in text: as itself, inside JSON strings (once or twice nested) and in URLs. */
function encodedForms(secret: string): string[] {
  const once = JSON.stringify(secret).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  return [secret, once, twice, encodeURIComponent(secret)];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A turn with every string redacted but the code in it: the arguments of its tool calls (what the agent wrote:
 * files, edits, commands) lose registered secrets only, as the work tree's diff does, so the conversation still
 * writes what the diff holds; so do the opaque tokens a server wants back unaltered (a call's `extra_content`,
 * Anthropic's thinking signatures and redacted thinking, OpenRouter's reasoning blocks and the Responses API's
 * reasoning items but for their text), whose base64 can hold a key shape by chance. A registered secret in the diff is replaced (it must not reach the log)
 * and the turn is marked `secrets_in_diff`, since that diff no longer applies as it is.
 */
export function redactTurn(redactor: Redactor, turn: Turn): Turn {
  const { diff, ...rest } = turn;
  const redacted = redactor.redact(rest) as Turn;
  redacted.messages.forEach((message, m) => {
    const written = turn.messages[m];
    message.tool_calls?.forEach((call, c) => {
      const { function: fn, extra_content: extraContent } = written.tool_calls![c];
      call.function.arguments = redactor.redactSecrets(fn.arguments);
      if (extraContent) call.extra_content = redactor.redactSecretsIn(extraContent);
    });
    keepOpaque(redactor, message, written, 'thinking_blocks', (field) => field === 'signature' || field === 'data');
    keepOpaque(redactor, message, written, 'reasoning_details', (field) => field !== 'text' && field !== 'summary');
    keepOpaque(redactor, message, written, 'reasoning_items', (field) => field !== 'summary' && field !== 'content');
  });
  redacted.observations.forEach((observation, o) => {
    const { arguments: written } = turn.observations[o];
    if (written !== undefined) observation.arguments = redactor.redactSecrets(written);
  });
  if (diff === undefined) return redacted;
  const cleaned = redactor.redactSecrets(diff);
  return { ...redacted, diff: cleaned, ...(cleaned !== diff ? { secrets_in_diff: true } : {}) };
}

/**
 * The opaque fields of a message's reasoning blocks as written, but for exact secrets (Anthropic's thinking
 * signatures and redacted thinking, `thinking_blocks`; OpenRouter's signatures, encrypted data and ids,
 * `reasoning_details`; the Responses API's encrypted content and ids, `reasoning_items`); their readable text as
 * redacted, since a key the model thought about must not reach the log.
 */
function keepOpaque(
  redactor: Redactor,
  redacted: ChatMessage,
  written: ChatMessage,
  key: 'thinking_blocks' | 'reasoning_details' | 'reasoning_items',
  isOpaque: (field: string) => boolean,
): void {
  const blocks = redacted.extra?.[key];
  if (!Array.isArray(blocks)) return;
  const original = written.extra![key] as Record<string, unknown>[];
  blocks.forEach((block: Record<string, unknown>, b) => {
    for (const [field, value] of Object.entries(original[b]))
      if (isOpaque(field) && typeof value === 'string') block[field] = redactor.redactSecrets(value);
  });
}

/** A run result redacted as a turn is: its patch checked for registered secrets only, and marked when it held one. */
export function redactResult(redactor: Redactor, result: RunResult): RunResult {
  const { patch, ...rest } = result;
  const redacted = redactor.redact(rest) as RunResult;
  const cleaned = redactor.redactSecrets(patch);
  return { ...redacted, patch: cleaned, ...(cleaned !== patch ? { secrets_in_patch: true } : {}) };
}

/** A whole trajectory redacted as the recorder redacts each of its lines. */
export function redactTrajectory(redactor: Redactor, trajectory: Trajectory): Trajectory {
  return {
    run: redactor.redact(trajectory.run),
    turns: trajectory.turns.map((turn) => redactTurn(redactor, turn)),
    events: redactor.redact(trajectory.events),
    ...(trajectory.result ? { result: redactResult(redactor, trajectory.result) } : {}),
  };
}
