/**
 * The grammar every `rollout` command shares, on node's `parseArgs`:
 * - `--help` (`-h`) prints the command's usage and exits 0; the usage lists every option the command declares
 *   (one it forgot is still listed, under a heading that says so, and a test keeps that list empty);
 * - an option of several values takes them repeated (`--runs a --runs b`) or space-separated (`--runs a b`)
 *   alike: the values run up to the next option or `--`;
 * - a bad command line exits 2 with what is wrong and the usage (a required option left out is named); nothing
 *   runs.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export type ParsedCommandLine<T extends OptionsConfig> = Pick<
  ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>,
  'values' | 'positionals'
>;

/** A command line the command cannot run: the message says what is wrong; the usage follows it. */
export class UsageError extends Error {}

/** A command Ctrl-C stopped exits as a shell reports one SIGINT killed (128 + 2), so scripts can tell it apart. */
export const EXIT_INTERRUPTED = 130;

/**
 * An option's value as a number, or undefined when the option was not given. `--NAME` and the text given are
 * named when it is not a number of the kind asked for (a whole number, at least `min`).
 */
export function numberOption(
  name: string,
  text: string | undefined,
  kind: { integer?: boolean; min?: number } = {},
): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim() === '' ? Number.NaN : Number(text);
  const { integer = false, min } = kind;
  const wanted = `${integer ? 'a whole number' : 'a number'}${min === undefined ? '' : ` of at least ${min}`}`;
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || (min !== undefined && value < min))
    throw new UsageError(`--${name}: expected ${wanted}, got '${text}'`);
  return value;
}

/** A count such as --workers or --attempts: a whole number of at least 1, `fallback` when not given. */
export function countOption(name: string, text: string | undefined, fallback: number): number {
  return numberOption(name, text, { integer: true, min: 1 }) ?? fallback;
}

/** A parsed command line whose `required` options are known to have values. */
export type ParsedWithRequired<T extends OptionsConfig, R extends keyof T & string> = ParsedCommandLine<T> & {
  values: { [K in R]-?: NonNullable<ParsedCommandLine<T>['values'][K & keyof ParsedCommandLine<T>['values']]> };
};

export interface CommandLine<T extends OptionsConfig, R extends keyof T & string = never> {
  /** The command's name after `rollout`. */
  command: string;
  usage: string;
  options: T;
  /** Whether the command takes arguments that are not options (files, run folders…). */
  positionals?: boolean;
  /** The options it cannot run without. */
  required?: readonly R[];
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** The options the usage text does not mention as `--NAME`. */
export function optionsMissingFromUsage(options: OptionsConfig, usage: string): string[] {
  return Object.keys(options)
    .filter((name) => name !== 'help' && !new RegExp(`--${name}(?![\\w-])`).test(usage))
    .map((name) => `--${name}`);
}

/** The usage as `--help` prints it: the command's text, and any declared option it forgot to describe. */
export function helpText(line: Pick<CommandLine<OptionsConfig>, 'usage' | 'options'>): string {
  const missing = optionsMissingFromUsage(line.options, line.usage);
  return missing.length ? `${line.usage}\n\noptions not described above: ${missing.join(' ')}` : line.usage;
}

/** Prints a usage problem the way every command reports it; the exit code is 2. */
export function usageProblem(command: string, usage: string, message: string): 2 {
  console.error(`rollout ${command}: ${message}\n\n${usage}`);
  return 2;
}

/** `--a`, `--a and --b`, `--a, --b and --c`. */
function optionList(names: string[]): string {
  const flags = names.map((name) => `--${name}`);
  return flags.length > 1 ? `${flags.slice(0, -1).join(', ')} and ${flags.at(-1)}` : flags[0];
}

/** Throws a UsageError naming those of `required` that have no value (a multi-value option none). */
export function requireOptions(values: Record<string, unknown>, required: readonly string[]): void {
  const missing = required.filter((name) => {
    const value = values[name];
    return value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
  });
  if (missing.length) throw new UsageError(`${optionList(missing)} ${missing.length > 1 ? 'are' : 'is'} required`);
}

/** Parses by the grammar above, strictly. Throws a UsageError naming the problem. */
export function parseOptions<T extends OptionsConfig>(
  options: T,
  args: string[],
  allowPositionals = false,
): ParsedCommandLine<T> & { help: boolean } {
  const all: OptionsConfig = { ...options, ...HELP };
  let tokens;
  try {
    tokens = parseArgs({ args, options: all, allowPositionals: true, strict: true, tokens: true }).tokens;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  let takingValues: string[] | undefined;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') takingValues = undefined;
    else if (token.kind === 'positional') (takingValues ?? positionals).push(token.value);
    else if (all[token.name].type === 'boolean') {
      values[token.name] = true;
      takingValues = undefined;
    } else if (all[token.name].multiple) {
      takingValues = (values[token.name] as string[] | undefined) ?? [];
      takingValues.push(token.value as string);
      values[token.name] = takingValues;
    } else {
      values[token.name] = token.value as string;
      takingValues = undefined;
    }
  }
  for (const [name, option] of Object.entries(all))
    if (values[name] === undefined && option.default !== undefined) values[name] = option.default as string | string[];
  const help = values.help === true;
  delete values.help;
  if (!help && !allowPositionals && positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  return { values: values as ParsedCommandLine<T>['values'], positionals, help };
}

/**
 * The command line parsed, or the exit code when there is nothing to run: 0 after printing the help for
 * `--help`, 2 after printing what is wrong and the usage.
 */
export function parseCommandLine<T extends OptionsConfig, R extends keyof T & string = never>(
  line: CommandLine<T, R>,
  args: string[],
): ParsedWithRequired<T, R> | number {
  try {
    const parsed = parseOptions(line.options, args, line.positionals);
    if (parsed.help) {
      console.log(helpText(line));
      return 0;
    }
    requireOptions(parsed.values, line.required ?? []);
    return { values: parsed.values, positionals: parsed.positionals } as ParsedWithRequired<T, R>;
  } catch (error) {
    if (error instanceof UsageError) return usageProblem(line.command, line.usage, error.message);
    throw error;
  }
}
