/**
 * Tool calls a model wrote as text, for servers that return them unparsed (a model without its server-side
 * tool parser, a chat template the server does not read calls from). Eight conventions, tried in order:
 * - `qwen3_coder`: `<tool_call><function=NAME><parameter=KEY>value</parameter>…</function></tool_call>`, as
 *   Qwen3-Coder writes calls and vLLM's `qwen3_coder` parser reads them: each value taken as the tool's schema types
 *   it (test/fixtures/qwen3-coder-tool-calls holds that parser's readings of our cases);
 * - `glm45`: `<tool_call>NAME\n<arg_key>KEY</arg_key>\n<arg_value>value</arg_value>…</tool_call>`, as GLM-4.5 and
 *   GLM-4.6 write calls and vLLM's `glm45` parser reads them (test/fixtures/glm45-tool-calls holds its readings);
 * - `minimax_m2`: `<minimax:tool_call><invoke name="NAME"><parameter name="KEY">value</parameter>…</invoke>…`, as
 *   MiniMax-M2 writes calls and vLLM's `minimax_m2` parser reads them (test/fixtures/minimax-m2-tool-calls);
 * - `kimi_k2`: `<|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:0<|tool_call_argument_begin|>{…}
 *   <|tool_call_end|>…`, and `deepseek_v31`: `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{…}
 *   <｜tool▁call▁end｜>…`, as Kimi K2 and DeepSeek-V3.1 write calls (where the server keeps their special tokens in
 *   the text) and vLLM's parsers read them (test/fixtures/kimi-k2-tool-calls, test/fixtures/deepseek-v31-tool-calls);
 * - `hermes`: `<tool_call>{"name": …, "arguments": {…}}</tool_call>` blocks (Hermes, Qwen2.5, Qwen3);
 * - `json`: the same object as `hermes` alone in the reply or in a ```json fence;
 * - `bash_block`: exactly one ```bash fence, run as the `bash` tool (mini-swe-agent's convention) — unless
 *   the reply may be an answer to a person (a CodeAssistBench conversation), where a command is advice.
 * The calls found become ordinary tool calls and leave the text, so the conversation sent back reads as if the
 * server had parsed them.
 */
import type { ToolCall } from './policies/policy';
import type { ToolDefinition } from './tools/tool';

export type TextCallFormat =
  'hermes' | 'qwen3_coder' | 'glm45' | 'minimax_m2' | 'kimi_k2' | 'deepseek_v31' | 'json' | 'bash_block';

export interface TextToolCalls {
  format: TextCallFormat;
  calls: ToolCall[];
  /** The reply's text without the calls. */
  content: string;
}

/** Where Qwen3-Coder's calls are read: `<tool_call>` blocks, the last one perhaps cut off by the end of the reply. */
const TOOL_CALL_BLOCK = /<tool_call>([\s\S]*?)(?:<\/tool_call>|$)/g;
const QWEN3_CODER_FUNCTION = /<function=([\s\S]*?)(?:<\/function>|$)/g;
const QWEN3_CODER_PARAMETER = /<parameter=([\s\S]*?)(?:<\/parameter>|(?=<parameter=)|$)/g;
const DECIMAL = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;
/** A `<tool_call>` block written as GLM writes one: the tool's name right after the tag, then a line break. */
const GLM_CALL_START = /<tool_call>[^\s{[<]/;
const CLOSED_TOOL_CALL_BLOCK = /<tool_call>([\s\S]*?)<\/tool_call>/g;
/** A block's name and arguments: the name ends at the first line break, or at a `\n` the model wrote out. */
const GLM_NAME_AND_ARGUMENTS = /^([\s\S]*?)(?:\\n|\n)([\s\S]*)$/;
const GLM_ARGUMENT = /<arg_key>([\s\S]*?)<\/arg_key>(?:\\n|\s)*<arg_value>([\s\S]*?)<\/arg_value>/g;
const PYTHON_CONSTANTS = new Map<string, unknown>([
  ['True', true],
  ['False', false],
  ['None', null],
]);
const MINIMAX_BLOCK = /<minimax:tool_call>([\s\S]*?)<\/minimax:tool_call>/g;
const MINIMAX_INVOKE = /<invoke name=([\s\S]*?)<\/invoke>/g;
const MINIMAX_PARAMETER = /<parameter name=([\s\S]*?)<\/parameter>/g;
/** The calls of a model family that writes them between special tokens: its section's tokens, and one call's form. */
interface TokenCallForm {
  format: 'kimi_k2' | 'deepseek_v31';
  sectionBegin: string;
  sectionEnd: string;
  /** A call: what names it (group 1) and its arguments as JSON text (group 2). */
  call: RegExp;
  /** The tool's name in what names the call. */
  name: (written: string) => string;
}

const TOKEN_CALL_FORMS: readonly TokenCallForm[] = [
  {
    format: 'kimi_k2',
    sectionBegin: '<|tool_calls_section_begin|>',
    sectionEnd: '<|tool_calls_section_end|>',
    call: /<\|tool_call_begin\|>\s*([^<]+:\d+)\s*<\|tool_call_argument_begin\|>\s*((?:(?!<\|tool_call_begin\|>)[\s\S])*?)\s*<\|tool_call_end\|>/g,
    // `functions.bash:0` or `bash:0`
    name: (written) => written.split(':')[0].split('.').at(-1)!,
  },
  {
    format: 'deepseek_v31',
    sectionBegin: '<｜tool▁calls▁begin｜>',
    sectionEnd: '<｜tool▁calls▁end｜>',
    call: /<｜tool▁call▁begin｜>([\s\S]*?)<｜tool▁sep｜>([\s\S]*?)<｜tool▁call▁end｜>/g,
    name: (written) => written,
  },
];
const HERMES_BLOCK = /<tool_call>\s*([\s\S]*?)\s*<\/tool_call>/g;
const JSON_FENCE = /```json[^\n]*\n([\s\S]*?)```/g;
const SHELL_FENCE = /```(?:bash|sh|shell)[^\n]*\n([\s\S]*?)```/g;

/**
 * The id of the `index`-th call written as text in turn `turn`: nine letters and digits, unique in a run, since
 * Mistral's chat format (its API, vLLM serving Mistral models) refuses any other id on a call sent back.
 */
export function textCallId(turn: number, index: number): string {
  return `T${turn.toString(36).padStart(5, '0')}C${index.toString(36).padStart(2, '0')}`;
}

/**
 * The calls written in `text` in turn `turn`, or a problem to tell the model (a malformed `<tool_call>`, several
 * bash blocks), or undefined when the text holds no call at all. `tools` are the known tool names.
 */
export function parseTextToolCalls(
  text: string,
  definitions: readonly ToolDefinition[],
  turn: number,
  options: { bashBlocks?: boolean } = {},
): TextToolCalls | { problem: string } | undefined {
  const id = (index: number) => textCallId(turn, index);
  const tools = definitions.map((definition) => definition.function.name);
  const qwen3Coder = text.includes('<function=') ? qwen3CoderCalls(text, definitions, id) : undefined;
  if (qwen3Coder) return qwen3Coder;
  const glm = GLM_CALL_START.test(text) ? glmCalls(text, definitions, id) : undefined;
  if (glm) return glm;
  const minimax = text.includes('<minimax:tool_call>') ? minimaxCalls(text, definitions, id) : undefined;
  if (minimax) return minimax;
  const form = TOKEN_CALL_FORMS.find((candidate) => text.includes(candidate.sectionBegin));
  if (form) return tokenCalls(text, form, id);
  const hermes = [...text.matchAll(HERMES_BLOCK)];
  if (hermes.length) {
    const calls = hermes.map((match, index) => callFromJson(match[1], id(index)));
    const broken = calls.findIndex((call) => call === undefined);
    if (broken >= 0)
      return {
        problem: `Your <tool_call> block ${broken + 1} is not a JSON object {"name": …, "arguments": {…}}: ${hermes[broken][1].slice(0, 200)}`,
      };
    return { format: 'hermes', calls: calls as ToolCall[], content: strip(text, hermes) };
  }
  const fenced = [...text.matchAll(JSON_FENCE)].filter((match) => namesKnownTool(match[1], tools));
  const whole = fenced.length ? undefined : namesKnownTool(text, tools) ? text : undefined;
  if (fenced.length || whole) {
    const calls = fenced.length
      ? fenced.map((match, index) => callFromJson(match[1], id(index)) as ToolCall)
      : [callFromJson(whole!, id(0)) as ToolCall];
    return { format: 'json', calls, content: fenced.length ? strip(text, fenced) : '' };
  }
  if (!tools.includes('bash') || options.bashBlocks === false) return undefined;
  const shell = [...text.matchAll(SHELL_FENCE)];
  if (shell.length > 1)
    return {
      problem: `Your reply has ${shell.length} bash blocks; write exactly one (or call the tools directly) so that one command runs per reply.`,
    };
  if (shell.length === 1) {
    const command = shell[0][1].trim();
    if (!command) return { problem: 'Your bash block is empty; put the command to run in it.' };
    return {
      format: 'bash_block',
      calls: [{ id: id(0), type: 'function', function: { name: 'bash', arguments: JSON.stringify({ command }) } }],
      content: strip(text, shell),
    };
  }
  return undefined;
}

/**
 * Qwen3-Coder's calls, read as vLLM's `qwen3_coder` parser reads them: every `<function=…>` of the `<tool_call>`
 * blocks (of the whole reply when it has none), a block or function the reply ends inside still read; a value loses
 * one newline at each end and becomes the type its parameter's schema names (`null` is null whatever the type). A
 * function or parameter without a `>` after its name, where vLLM reads no call at all, is a problem to tell.
 */
function qwen3CoderCalls(
  text: string,
  definitions: readonly ToolDefinition[],
  id: (index: number) => string,
): TextToolCalls | { problem: string } | undefined {
  const blocks = [...text.matchAll(TOOL_CALL_BLOCK)];
  const bodies = blocks.length ? blocks.map((block) => block[1]) : [text];
  const functions = bodies.flatMap((body) => [...body.matchAll(QWEN3_CODER_FUNCTION)].map((match) => match[1]));
  if (!functions.length) return undefined;
  const calls: ToolCall[] = [];
  for (const written of functions) {
    const name = written.slice(0, written.indexOf('>'));
    const parameters = [...written.slice(name.length + 1).matchAll(QWEN3_CODER_PARAMETER)].map((match) => match[1]);
    const unnamed = [written, ...parameters].find((part) => !part.includes('>'));
    if (unnamed !== undefined)
      return {
        problem: `Your call has no ">" after a name in <function=…> or <parameter=…>: ${unnamed.slice(0, 200)}`,
      };
    const properties = parametersOf(definitions, name);
    const args = noArguments();
    for (const parameter of parameters) {
      const key = parameter.slice(0, parameter.indexOf('>'));
      const value = parameter
        .slice(key.length + 1)
        .replace(/^\n/, '')
        .replace(/\n$/, '');
      args[key] = typedValue(value, properties[key]?.type);
    }
    calls.push({ id: id(calls.length), type: 'function', function: { name, arguments: JSON.stringify(args) } });
  }
  const withCalls = blocks.filter((block) => block[1].includes('<function='));
  const content = blocks.length ? strip(text, withCalls) : text.slice(0, text.indexOf('<function=')).trim();
  return { format: 'qwen3_coder', calls, content };
}

/**
 * GLM-4.5's and GLM-4.6's calls, read as vLLM's `glm45` parser reads them: every closed `<tool_call>` block, its name
 * what precedes the first line break, each `<arg_key>`/`<arg_value>` pair trimmed, and a value whose parameter the
 * tool's schema does not type `string` read as JSON where it is JSON (or JSON with its quotes escaped), as Python's
 * `True`, `False` and `None`, and as text otherwise. A block without a line break, where vLLM reads no call at all,
 * is a problem to tell.
 */
function glmCalls(
  text: string,
  definitions: readonly ToolDefinition[],
  id: (index: number) => string,
): TextToolCalls | { problem: string } | undefined {
  const blocks = [...text.matchAll(CLOSED_TOOL_CALL_BLOCK)];
  if (!blocks.length) return undefined;
  const calls: ToolCall[] = [];
  for (const [, body] of blocks) {
    const written = GLM_NAME_AND_ARGUMENTS.exec(body);
    if (!written)
      return { problem: `Your <tool_call> block has no line break after the tool's name: ${body.slice(0, 200)}` };
    const [, name, pairs] = written;
    const properties = parametersOf(definitions, name);
    const args = noArguments();
    for (const [, key, value] of pairs.matchAll(GLM_ARGUMENT)) {
      const trimmed = value.trim();
      args[key.trim()] = properties[key.trim()]?.type === 'string' ? trimmed : glmValue(trimmed);
    }
    calls.push({ id: id(calls.length), type: 'function', function: { name, arguments: JSON.stringify(args) } });
  }
  return { format: 'glm45', calls, content: strip(text, blocks) };
}

/**
 * MiniMax-M2's calls, read as vLLM's `minimax_m2` parser reads them: every `<invoke>` of the closed
 * `<minimax:tool_call>` blocks, names with their quotes taken off, a value trimmed and taken as the type its
 * parameter's schema names (`1` is true too). An invoke without a name, where vLLM drops the call and reads the others,
 * is a problem to tell.
 */
function minimaxCalls(
  text: string,
  definitions: readonly ToolDefinition[],
  id: (index: number) => string,
): TextToolCalls | { problem: string } | undefined {
  const blocks = [...text.matchAll(MINIMAX_BLOCK)];
  const invokes = blocks.flatMap(([, block]) => [...block.matchAll(MINIMAX_INVOKE)].map(([, invoke]) => invoke));
  if (!invokes.length) return undefined;
  const calls: ToolCall[] = [];
  for (const invoke of invokes) {
    const name = unquoted(/^[^>]+/.exec(invoke)?.[0] ?? '');
    if (!name) return { problem: `Your <invoke> has no name: <invoke name=${invoke.slice(0, 200)}` };
    const properties = parametersOf(definitions, name);
    const args = noArguments();
    for (const [, parameter] of invoke.matchAll(MINIMAX_PARAMETER)) {
      const written = /^([^>]+)>([\s\S]*)$/.exec(parameter);
      if (!written) continue;
      const key = unquoted(written[1]);
      args[key] = typedValue(written[2].trim(), properties[key]?.type, ['true', '1']);
    }
    calls.push({ id: id(calls.length), type: 'function', function: { name, arguments: JSON.stringify(args) } });
  }
  return { format: 'minimax_m2', calls, content: strip(text, blocks) };
}

/**
 * Kimi K2's or DeepSeek-V3.1's calls, read as vLLM's `kimi_k2` and `deepseek_v31` parsers read them: every call in
 * the reply, its arguments the JSON text the model wrote. The reply's text is what lies outside the calls' section. A
 * section without a call the form reads is a problem to tell (vLLM reads no call and keeps the text before it).
 */
function tokenCalls(
  text: string,
  form: TokenCallForm,
  id: (index: number) => string,
): TextToolCalls | { problem: string } {
  const calls = [...text.matchAll(form.call)].map(([, named, args], index): ToolCall => ({
    id: id(index),
    type: 'function',
    function: { name: form.name(named), arguments: args },
  }));
  const begin = text.indexOf(form.sectionBegin);
  if (!calls.length)
    return { problem: `Your ${form.sectionBegin} section holds no whole call: ${text.slice(begin, begin + 200)}` };
  const end = text.indexOf(form.sectionEnd, begin);
  const after = end === -1 ? '' : text.slice(end + form.sectionEnd.length);
  return { format: form.format, calls, content: `${text.slice(0, begin).trim()}\n\n${after.trim()}`.trim() };
}

/** The parameters of the tool named `name`, as its schema declares them; none for a tool the model was not given. */
function parametersOf(
  definitions: readonly ToolDefinition[],
  name: string,
): Record<string, { type?: unknown } | undefined> {
  const schema = definitions.find((definition) => definition.function.name === name)?.function.parameters;
  return (schema?.properties ?? {}) as Record<string, { type?: unknown } | undefined>;
}

/** An empty arguments object without a prototype, so that a parameter named `__proto__` is a parameter. */
function noArguments(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/** A name as MiniMax-M2 writes it, trimmed and out of its double or single quotes. */
function unquoted(written: string): string {
  const name = written.trim();
  return /^(["']).*\1$/s.test(name) && name.length > 1 ? name.slice(1, -1) : name;
}

/** A value GLM wrote for a parameter not typed `string`: JSON, JSON with escaped quotes, a Python constant, or text. */
function glmValue(value: string): unknown {
  for (const read of [() => JSON.parse(value), () => JSON.parse(JSON.parse(`{"tmp": "${value}"}`).tmp)])
    try {
      return read();
    } catch {
      // the next reading
    }
  return PYTHON_CONSTANTS.has(value) ? PYTHON_CONSTANTS.get(value) : value;
}

/**
 * A written value as the type its schema names: integers and decimal numbers as numbers, `true` (any case) or
 * another of `truths` as true and any other boolean as false, objects and arrays as JSON; a value its type cannot
 * read stays text.
 */
function typedValue(value: string, type: unknown, truths: readonly string[] = ['true']): unknown {
  if (value.toLowerCase() === 'null') return null;
  const kind = typeof type === 'string' ? type.trim().toLowerCase() : 'string';
  if (kind === 'integer') return /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : value;
  if (kind === 'number') return DECIMAL.test(value) ? Number(value) : value;
  if (kind === 'boolean') return truths.includes(value.toLowerCase());
  if (kind !== 'object' && kind !== 'array') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** `{"name": …, "arguments": …}` (or `parameters`) as a tool call; arguments stay the JSON text the model wrote. */
function callFromJson(json: string, id: string): ToolCall | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { name, arguments: args, parameters } = value as { name?: unknown; arguments?: unknown; parameters?: unknown };
  if (typeof name !== 'string' || !name) return undefined;
  const given = args ?? parameters ?? {};
  return {
    id,
    type: 'function',
    function: { name, arguments: typeof given === 'string' ? given : JSON.stringify(given) },
  };
}

function namesKnownTool(json: string, tools: readonly string[]): boolean {
  const trimmed = json.trim();
  if (!trimmed.startsWith('{')) return false;
  const call = callFromJson(trimmed, '');
  return call !== undefined && tools.includes(call.function.name);
}

function strip(text: string, matches: RegExpMatchArray[]): string {
  let result = '';
  let at = 0;
  for (const match of matches) {
    result += text.slice(at, match.index);
    at = (match.index ?? 0) + match[0].length;
  }
  return (result + text.slice(at)).replace(/\n{3,}/g, '\n\n').trim();
}
