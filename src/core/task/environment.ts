/**
 * The environment a task runs in: the task's own, else a per-repo spec (like the SWE-bench harness's
 * specs, optionally per version), else defaults for the task's language.
 */

import { readFile } from 'node:fs/promises';
import { FieldError, TEST_FRAMEWORKS, type Task, type TaskEnvironment, type TestFramework } from './task';

/** One entry of a spec file; every field optional so a version entry can override just one. */
export interface EnvironmentSpec {
  profile?: string;
  image?: string;
  install?: string[];
  test_command?: string;
  test_framework?: TestFramework;
}

/** A spec file: `{ "owner/name": { ...EnvironmentSpec, "versions": { "4.2": EnvironmentSpec } } }`. */
export type EnvironmentSpecs = Record<string, EnvironmentSpec & { versions?: Record<string, EnvironmentSpec> }>;

const LANGUAGE_DEFAULTS: Record<string, TaskEnvironment> = {
  python: {
    profile: 'python',
    install: [],
    testCommand: 'python3 -m pytest -rA -p no:cacheprovider {test_files}',
    testFramework: 'pytest',
  },
  javascript: {
    profile: 'node',
    install: [],
    testCommand: 'node --test --test-reporter=tap',
    testFramework: 'node-tap',
  },
  go: { profile: 'go', install: [], testCommand: 'go test -json ./...', testFramework: 'go-test-json' },
};
LANGUAGE_DEFAULTS.typescript = LANGUAGE_DEFAULTS.javascript;

export function languageDefaults(language: string | undefined): TaskEnvironment | undefined {
  const defaults = LANGUAGE_DEFAULTS[language ?? 'python'];
  return defaults && { ...defaults, install: [...defaults.install] };
}

function checkSpec(file: string, path: string, spec: unknown): void {
  const fail = (field: string, message: string): never => {
    throw new FieldError(`${path}.${field}`, `${file}: ${message}`);
  };
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) fail('', 'must be an object');
  const entry = spec as Record<string, unknown>;
  for (const field of ['profile', 'image', 'test_command'] as const) {
    if (entry[field] !== undefined && typeof entry[field] !== 'string') fail(field, 'must be a string');
  }
  if (
    entry.install !== undefined &&
    !(Array.isArray(entry.install) && entry.install.every((command) => typeof command === 'string'))
  )
    fail('install', 'must be a list of strings');
  if (entry.test_framework !== undefined && !(TEST_FRAMEWORKS as readonly unknown[]).includes(entry.test_framework)) {
    fail('test_framework', `must be one of ${TEST_FRAMEWORKS.join(', ')}`);
  }
  if (entry.versions !== undefined) {
    if (typeof entry.versions !== 'object' || entry.versions === null) fail('versions', 'must be an object');
    for (const [version, versionSpec] of Object.entries(entry.versions as object))
      checkSpec(file, `${path}.versions.${version}`, versionSpec);
  }
}

export async function loadEnvironmentSpecs(file: string): Promise<EnvironmentSpecs> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not a readable JSON spec file (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`${file}: must hold an object keyed by repository (owner/name)`);
  for (const [repo, spec] of Object.entries(parsed)) {
    try {
      checkSpec(file, repo, spec);
    } catch (error) {
      if (error instanceof FieldError) throw new Error(`${error.message} (field '${error.field}')`);
      throw error;
    }
  }
  return parsed as EnvironmentSpecs;
}

function specToEnvironment(
  spec: Required<Pick<EnvironmentSpec, 'test_command' | 'test_framework'>> & EnvironmentSpec,
): TaskEnvironment {
  return {
    profile: spec.image ? undefined : spec.profile,
    image: spec.image,
    install: spec.install ?? [],
    testCommand: spec.test_command,
    testFramework: spec.test_framework,
  };
}

function applySpec(base: TaskEnvironment, spec: EnvironmentSpec | undefined): TaskEnvironment {
  if (!spec) return base;
  return {
    profile: spec.image ? undefined : (spec.profile ?? base.profile),
    image: spec.image ?? (spec.profile ? undefined : base.image),
    install: spec.install ?? base.install,
    testCommand: spec.test_command ?? base.testCommand,
    testFramework: spec.test_framework ?? base.testFramework,
  };
}

/** The environment to grade `task` in; throws when nothing says how to test a language without defaults. */
export function environmentFor(task: Task, specs: EnvironmentSpecs = {}): TaskEnvironment {
  if (task.environment) return task.environment;
  const repoSpec = task.repo.name ? specs[task.repo.name] : undefined;
  const defaults = languageDefaults(task.language);
  if (!defaults && !(repoSpec?.test_command && repoSpec.test_framework && (repoSpec.profile || repoSpec.image))) {
    throw new Error(
      `task ${task.id}: no environment for language '${task.language}'; add a spec for ${task.repo.name ?? 'its repository'} with profile (or image), test_command and test_framework`,
    );
  }
  const withRepo = defaults
    ? applySpec(defaults, repoSpec)
    : specToEnvironment(
        repoSpec as Required<Pick<EnvironmentSpec, 'test_command' | 'test_framework'>> & EnvironmentSpec,
      );
  return applySpec(withRepo, task.version ? repoSpec?.versions?.[task.version] : undefined);
}

/** The files a git diff touches (the `b/` side, or the `a/` side for deletions). */
export function filesInPatch(patch: string): string[] {
  const files = new Set<string>();
  for (const match of patch.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)) files.add(match[2]);
  return [...files];
}

export function shellQuote(word: string): string {
  return /^[\w./:=@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The test command with `{test_files}` replaced by the files of the test patch. */
export function testCommandFor(environment: TaskEnvironment, task: Task): string {
  return environment.testCommand.replace('{test_files}', filesInPatch(task.testPatch).map(shellQuote).join(' ')).trim();
}
