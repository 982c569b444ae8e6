/**
 * The tools an agent has, and the one place that turns a model's tool call into an observation. Whatever
 * the model wrote — bad JSON, an unknown tool, arguments that break the schema — comes back as an error
 * observation; only infrastructure failures and aborts throw.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { InfrastructureError } from '../../sandbox/sandbox';
import type { SymbolParser } from '../codemap/parser';
import { WebTreeSitterParser } from '../codemap/webTreeSitterParser';
import type { ToolCall } from '../policies/policy';
import { bashTool, type BashToolOptions } from './bash';
import { codeMapTool } from './codeMap';
import { editTool } from './edit';
import { searchTool } from './search';
import { submitTool } from './submit';
import type { Tool, ToolContext, ToolDefinition, ToolResult } from './tool';
import { truncateMiddle } from './truncate';
import { viewTool } from './view';

/** Why a call produced an error observation; counted per turn in the trajectory. */
export type ToolCallError =
  /** The arguments were not valid JSON. */
  | 'invalid_json'
  /** No tool by that name. */
  | 'unknown_tool'
  /** The arguments did not match the tool's schema. */
  | 'invalid_arguments'
  /** The tool ran and failed (missing file, no match, timeout …). */
  | 'tool_failed';

export interface ToolCallOutcome extends ToolResult {
  /** Set when `isError` is. */
  error?: ToolCallError;
  /** UTF-8 size of the tool's whole output, before the toolbox shortened it (if it did). */
  originalBytes: number;
  durationMs: number;
}

export interface ToolboxOptions {
  /** Observations longer than this keep their head and tail with a note between (default 16 000). */
  maxObservationChars?: number;
}

export const DEFAULT_MAX_OBSERVATION_CHARS = 16_000;

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<string, ValidateFunction>();

/** Compiled once per schema: every rollout builds a toolbox, and compiling costs more than a short rollout's tool calls. */
function argumentValidator(schema: Tool['parameters']): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) validators.set(key, (validate = ajv.compile(schema)));
  return validate;
}

export class Toolbox {
  private readonly tools = new Map<string, { tool: Tool; validate: ValidateFunction }>();
  private readonly maxObservationChars: number;

  constructor(tools: Tool[], options: ToolboxOptions = {}) {
    this.maxObservationChars = options.maxObservationChars ?? DEFAULT_MAX_OBSERVATION_CHARS;
    for (const tool of tools) {
      if (this.tools.has(tool.name)) throw new Error(`two tools are named "${tool.name}"`);
      this.tools.set(tool.name, { tool, validate: argumentValidator(tool.parameters) });
    }
  }

  /** The tools as the model is told about them (OpenAI chat-completions `tools`). */
  get definitions(): ToolDefinition[] {
    return [...this.tools.values()].map(({ tool }) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  }

  get names(): string[] {
    return [...this.tools.keys()];
  }

  /** Whether a call to this tool can have changed the work tree (a call to no known tool ran nothing). */
  mayChangeWorkTree(name: string): boolean {
    const entry = this.tools.get(name);
    return entry !== undefined && entry.tool.readOnly !== true;
  }

  /** Runs one tool call from the model. Throws only for InfrastructureError and aborts. */
  async call(call: Pick<ToolCall, 'function'>, ctx: ToolContext): Promise<ToolCallOutcome> {
    const started = performance.now();
    const outcome = await this.dispatch(call.function.name, call.function.arguments, ctx);
    const { text, truncated } = truncateMiddle(outcome.output, this.maxObservationChars);
    return {
      ...outcome,
      output: text,
      truncated: truncated || outcome.truncated === true,
      originalBytes: Buffer.byteLength(outcome.output),
      durationMs: performance.now() - started,
    };
  }

  private async dispatch(
    name: string,
    rawArguments: string,
    ctx: ToolContext,
  ): Promise<Omit<ToolCallOutcome, 'durationMs' | 'originalBytes'>> {
    const entry = this.tools.get(name);
    if (!entry)
      return rejected(
        'unknown_tool',
        `Unknown tool ${JSON.stringify(name)}. Available tools: ${this.names.join(', ')}.`,
      );
    const parsed = parseArguments(rawArguments);
    if ('error' in parsed) return rejected('invalid_json', `Invalid arguments for ${name}: ${parsed.error}`);
    if (!entry.validate(parsed.value))
      return rejected(
        'invalid_arguments',
        `Invalid arguments for ${name}: ${describeSchemaErrors(entry.validate.errors ?? [])}.`,
      );
    ctx.signal?.throwIfAborted();
    try {
      const result = await entry.tool.run(parsed.value, ctx);
      return result.isError ? { ...result, error: 'tool_failed' } : result;
    } catch (error) {
      if (error instanceof InfrastructureError || ctx.signal?.aborted) throw error;
      return rejected('tool_failed', `${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

export interface DefaultToolsOptions extends ToolboxOptions {
  bash?: BashToolOptions;
  /** The engine behind code_map; web-tree-sitter unless given. */
  symbolParser?: SymbolParser;
}

/** bash, view, edit, search, code_map and submit. */
export function createDefaultToolbox(options: DefaultToolsOptions = {}): Toolbox {
  const parser = options.symbolParser ?? new WebTreeSitterParser();
  return new Toolbox(
    [bashTool(options.bash), viewTool(), editTool(), searchTool(), codeMapTool(parser), submitTool()],
    options,
  );
}

function rejected(error: ToolCallError, output: string): Omit<ToolCallOutcome, 'durationMs' | 'originalBytes'> {
  return { output, isError: true, error };
}

/** Tool-call arguments as JSON; an empty string means no arguments, and JSON encoded twice is unwrapped once. */
export function parseArguments(raw: string): { value: unknown } | { error: string } {
  if (raw.trim() === '') return { value: {} };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    const preview = raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
    return { error: `not valid JSON (${(error as Error).message}): ${preview}` };
  }
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      // A bare string was meant as a string; the schema check below says why it is wrong.
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      error: `expected a JSON object of named arguments, got ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'null' : typeof value}`,
    };
  }
  return { value };
}

/** Ajv's errors as one sentence a model can act on, naming each offending field. */
export function describeSchemaErrors(errors: ErrorObject[]): string {
  const messages = errors
    .filter((error) => error.keyword !== 'if')
    .map((error) => {
      const field = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : undefined;
      switch (error.keyword) {
        case 'required':
          return `missing required argument "${(error.params as { missingProperty: string }).missingProperty}"`;
        case 'additionalProperties':
          return `unknown argument "${(error.params as { additionalProperty: string }).additionalProperty}"`;
        case 'enum':
          return `"${field}" must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
        default:
          return field ? `"${field}" ${error.message}` : `${error.message}`;
      }
    });
  return [...new Set(messages)].join('; ');
}
