/**
 * Secret redaction applied to everything before it reaches a trajectory or an export:
 * values of secret-looking environment variables, explicitly registered secrets, and well-known key shapes.
 */

export const REDACTED = '[REDACTED]';

/** Env var names whose values are secrets: API keys, tokens, passwords, credentials. */
const SECRET_ENV_NAME =
  /(^|_)(API_?KEY|APIKEY|ACCESS_?KEY|PRIVATE_?KEY|KEY|SECRETS?|TOKENS?|PASSWORD|PASSWD|CREDENTIALS?)(_|$)/i;
/** Shorter values are too likely to be ordinary words or numbers appearing elsewhere. */
const MIN_SECRET_LENGTH = 8;

/** Known credential shapes. Order matters: specific prefixes before the generic `sk-`. */
const KEY_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\bsk-ant-[A-Za-z0-9_-]{20,}/g,
  /\bsk-[A-Za-z0-9_-]{20,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{30,}/g,
  /\bglpat-[A-Za-z0-9_-]{20,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\bhf_[A-Za-z0-9]{30,}/g,
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
];
/** `Bearer <token>` and `Authorization: Basic <b64>` keep their scheme word so the text still reads. */
const AUTH_HEADER = /\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{16,}/g;
/** `OPENAI_API_KEY=…`, `access_token: …` in logs and config files the agent prints. */
const ASSIGNMENT = /\b([A-Za-z0-9_]*(?:API_?KEY|_TOKEN|SECRET|PASSWORD|PASSWD))(\s*[=:]\s*["']?)([^\s"'`,;]{8,})/gi;

export class Redactor {
  private readonly literals = new Set<string>();
  private literalList: string[] = [];

  /** `env`: environment whose secret-looking values are redacted (defaults to this process's). */
  constructor(options: { env?: NodeJS.ProcessEnv; secrets?: Iterable<string> } = {}) {
    for (const [name, value] of Object.entries(options.env ?? process.env)) {
      if (value && SECRET_ENV_NAME.test(name)) this.register(value);
    }
    for (const secret of options.secrets ?? []) this.register(secret);
  }

  /** Adds a secret string (e.g. a key read from a config file) to redact wherever it appears. */
  register(secret: string): void {
    const value = secret.trim();
    if (value.length < MIN_SECRET_LENGTH || this.literals.has(value)) return;
    this.literals.add(value);
    // The JSON-escaped form too: secrets inside tool-call arguments are JSON text within a string.
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) this.literals.add(escaped);
    // Longest first, so a secret that contains another is replaced whole.
    this.literalList = [...this.literals].sort((a, b) => b.length - a.length);
  }

  redactText(text: string): string {
    let out = text;
    for (const literal of this.literalList) {
      if (out.includes(literal)) out = out.split(literal).join(REDACTED);
    }
    for (const pattern of KEY_PATTERNS) out = out.replace(pattern, REDACTED);
    out = out.replace(AUTH_HEADER, (_match, scheme: string) => `${scheme} ${REDACTED}`);
    out = out.replace(ASSIGNMENT, (match, name: string, separator: string, value: string) =>
      value === REDACTED || value.startsWith('[REDACTED') ? match : `${name}${separator}${REDACTED}`,
    );
    return out;
  }

  /** A deep copy of `value` with every string redacted (object keys are left as they are). */
  redact<T>(value: T): T {
    return this.redactValue(value) as T;
  }

  private redactValue(value: unknown): unknown {
    if (typeof value === 'string') return this.redactText(value);
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item));
    if (value !== null && typeof value === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) copy[key] = this.redactValue(item);
      return copy;
    }
    return value;
  }
}
