/**
 * What one recorded tool execution was, for trajectory analytics: which tool or shell program, whether it ran
 * the tests or edited files, and whether it succeeded. Works on this project's own runs and on imported ones
 * (SWE-agent, mini-swe-agent), whose actions are shell command lines.
 */
import { execObservationExitCode } from '../agent/tools/bash';
import type { Observation } from '../trajectory/types';

export interface Action {
  tool: string;
  /** The program a shell command ran (`pytest`, `python -m pytest`, `sed`, SWE-agent's `edit` …); absent for other tools. */
  program?: string;
  /** It ran a test suite or a test file. */
  runsTests: boolean;
  /** It wrote files, as far as its name and arguments tell. */
  edits: boolean;
  /** True or false when the observation says; null when it does not (a text action with no exit code). */
  succeeded: boolean | null;
  /** Tool and arguments, for spotting an action repeated turn after turn. */
  signature: string;
  /** The arguments as written (paths mentioned in them count as looked at). */
  argumentsText: string;
}

/** Tools that take one shell command line: this project's `bash` and the shells of other agents. */
const SHELL_TOOLS = new Set(['bash', 'shell', 'execute_bash', 'run_command', 'terminal', 'cmd']);
/** Tools that write files whatever their arguments. */
const EDIT_TOOLS = new Set(['edit', 'write_file', 'create_file', 'apply_patch', 'replace', 'str_replace', 'insert']);
/** Editor tools whose `command` argument says whether they write. */
const EDITOR_TOOLS = new Set(['str_replace_editor', 'str_replace_based_edit_tool', 'file_editor']);
const EDITOR_WRITE_COMMANDS = new Set(['create', 'str_replace', 'insert', 'undo_edit', 'write']);
/** Shell programs that write files: SWE-agent's editing commands and the usual command-line ways. */
const EDIT_PROGRAMS = new Set(['edit', 'create', 'insert', 'append', 'patch', 'git apply', 'tee']);

const TEST_COMMAND = new RegExp(
  [
    String.raw`\b(py\.test|pytest|tox|nox)\b`,
    String.raw`\bpython[\d.]*\s+(-\w+\s+)*-m\s+(pytest|unittest)\b`,
    String.raw`\bpython[\d.]*\s+(-\w+\s+)*\S*\btests?\b\S*\.py\b`,
    String.raw`\bpython[\d.]*\s+(-\w+\s+)*\S*test_\w*\.py\b`,
    String.raw`\bgo\s+test\b`,
    String.raw`\b(npm|yarn|pnpm)\s+(run\s+)?test\b`,
    String.raw`\bnode\s+(\S+\s+)*--test\b`,
    String.raw`\b(jest|vitest|mocha|ava|tap)\b`,
    String.raw`\bcargo\s+(nextest\s+run|test)\b`,
    String.raw`\b(mvn|gradle|gradlew|\./gradlew)\b.*\btest\b`,
    String.raw`\bmake\s+(test|check)\b`,
    String.raw`\b(ctest|rspec|phpunit|prove)\b`,
    String.raw`\bdotnet\s+test\b`,
  ].join('|'),
);

function parseArguments(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/**
 * The program a command line runs: the first word after `cd …&&`, variable assignments and wrappers such as
 * `timeout 60`, with `python -m X`, `git X` and `npm run X` kept whole because their second word says what ran.
 */
export function commandProgram(command: string): string {
  const segments = command.split(/&&|\|\||;|\n/).map((segment) => segment.trim());
  const main = segments.find((segment) => segment !== '' && !/^(cd|export|source|set)\b/.test(segment)) ?? '';
  const words = main.split(/\s+/).filter((word) => !/^\w+=/.test(word));
  while (words.length > 1 && /^(sudo|timeout|time|nice|env|xargs)$/.test(words[0])) {
    words.shift();
    while (words.length > 1 && /^(-\S*|\d+[smh]?)$/.test(words[0])) words.shift();
  }
  const [first = '', second = '', third = ''] = words;
  const program = first.replace(/^.*\//, '');
  if (/^python[\d.]*$/.test(program) && second === '-m' && third) return `python -m ${third}`;
  if (/^(git|go|cargo|npm|yarn|pnpm|npx|dotnet)$/.test(program) && second && !second.startsWith('-')) {
    if (/^(npm|yarn|pnpm)$/.test(program) && second === 'run' && third) return `${program} run ${third}`;
    return `${program} ${second}`;
  }
  return program;
}

function shellEdits(command: string, program: string): boolean {
  if (EDIT_PROGRAMS.has(program)) return true;
  if (program === 'sed' && /\s-\w*i/.test(command)) return true;
  // A heredoc or redirection into a file that is not a device (`> /dev/null` writes nothing).
  return /(^|[^\d&>])>>?\s*(?!\/dev\/)[\w./'"-]/.test(command.replace(/\d?>&\d/g, ''));
}

function succeeded(observation: Observation, shell: boolean): boolean | null {
  if (observation.is_error === true) return false;
  const exitCode = observation.exit_code ?? (shell ? execObservationExitCode(observation.output) : undefined);
  if (exitCode !== undefined) return exitCode === 0;
  return observation.is_error === false ? true : null;
}

/** One observation as an action; null for the placeholder of a reply that called no tool. */
export function classifyAction(observation: Observation): Action | null {
  if (observation.tool === '(none)') return null;
  const args = parseArguments(observation.arguments);
  const signature = `${observation.tool}\u0000${observation.arguments ?? ''}`;
  const argumentsText = observation.arguments ?? '';
  if (SHELL_TOOLS.has(observation.tool) && typeof args.command === 'string') {
    const command = args.command;
    const program = commandProgram(command);
    return {
      tool: observation.tool,
      program,
      runsTests: TEST_COMMAND.test(command),
      edits: shellEdits(command, program),
      succeeded: succeeded(observation, true),
      signature,
      argumentsText,
    };
  }
  const editorWrites =
    EDITOR_TOOLS.has(observation.tool) && typeof args.command === 'string' && EDITOR_WRITE_COMMANDS.has(args.command);
  return {
    tool: observation.tool,
    runsTests: false,
    edits: EDIT_TOOLS.has(observation.tool) || editorWrites,
    succeeded: succeeded(observation, false),
    signature,
    argumentsText,
  };
}
