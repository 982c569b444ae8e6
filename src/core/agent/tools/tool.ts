/** A tool the agent can call: a JSON-schema-described function that acts in the sandbox. */
import type { Sandbox } from '../../sandbox/sandbox';

export interface ToolContext {
  sandbox: Sandbox;
  signal?: AbortSignal;
  /** Called with a command's output as it arrives, for a live view of the running call. */
  onOutput?: (text: string) => void;
}

export interface ToolResult {
  /** The observation the model sees. */
  output: string;
  /** The call failed (bad arguments, missing file, no match …); the model sees `output` and may retry. */
  isError: boolean;
  /** The observation was shortened to fit the observation budget. */
  truncated?: boolean;
  /** The exit status of the command the tool ran, for tools that run one. */
  exitCode?: number;
  /** The agent declared its work finished. */
  submitted?: boolean;
}

/** A JSON Schema object describing a tool's arguments. */
export type JsonSchema = Record<string, unknown>;

export interface Tool {
  name: string;
  description: string;
  parameters: JsonSchema;
  /** The tool only reads: the loop need not take the work tree's diff after a turn that called only such tools. */
  readOnly?: boolean;
  /** `args` has already been validated against `parameters` by the toolbox. */
  run(args: unknown, ctx: ToolContext): Promise<ToolResult>;
}

/** A tool as sent to the model, in OpenAI chat-completions format. */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description: string; parameters: JsonSchema };
}

export function ok(output: string): ToolResult {
  return { output, isError: false };
}

export function fail(output: string): ToolResult {
  return { output, isError: true };
}
