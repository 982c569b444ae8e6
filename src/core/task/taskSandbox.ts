/**
 * Where a task runs: its instance image as it is (the repository already at its workdir, the environment
 * activated), or an image (its language's profile, or one its environment names) with its repository copied in.
 * The agent's sandbox, the grader's and a re-execution's are all made from this one answer.
 */

import type { SandboxSpec } from '../sandbox/sandbox';
import { harnessReaderOf } from '../reward/harnessReaders';
import { environmentFor, type EnvironmentSpecs } from './environment';
import { instanceImage, PROFILE_ROUTE, type InstanceImageOptions } from './instanceImages';
import { resolveRepoSource, type RepoResolveOptions } from './repoResolver';
import type { Task, TaskEnvironment } from './task';

export interface TaskSandboxSettings {
  /** The image of a profile (`python`, `node`, `go`); normally `imageForProfile`. */
  imageForProfile: (profile: string) => string;
  repos?: RepoResolveOptions;
  specs?: EnvironmentSpecs;
  /** How instance images are named for rows that name none (`--image-template`, `--namespace`). */
  instanceImages?: InstanceImageOptions;
}

export interface TaskSandbox {
  environment: TaskEnvironment;
  /** Image, and either the repository to copy in or the instance's own workdir and activation. */
  spec: Pick<SandboxSpec, 'image' | 'repo' | 'instance' | 'workdir'>;
}

/** The task's environment and image, without touching its repository (cheap: for cache keys and listings). */
export function taskImage(
  task: Task,
  settings: TaskSandboxSettings,
): { environment: TaskEnvironment; image: string; instance: boolean } {
  const environment = environmentFor(task, settings.specs);
  // Local clones (`--repos`) are for running SWE-bench-format rows with their repository copied in.
  const template =
    settings.instanceImages?.template ??
    (settings.repos?.reposDir && !task.instance?.image ? PROFILE_ROUTE : undefined);
  const image = instanceImage(task, { ...settings.instanceImages, template });
  if (image) return { environment, image, instance: true };
  return {
    environment,
    image: environment.image ?? settings.imageForProfile(environment.profile ?? 'python'),
    instance: false,
  };
}

/**
 * The task's sandbox, for the agent (the history its instance must not show hidden) or for grading; throws, before
 * anything starts, where its test logs could not be graded.
 */
export async function taskSandbox(
  task: Task,
  settings: TaskSandboxSettings,
  purpose: 'agent' | 'grading',
): Promise<TaskSandbox> {
  const { environment, image, instance } = taskImage(task, settings);
  await harnessReaderOf(environment.logParser)?.require(task);
  if (instance && task.instance) {
    const { workdir, activate, setup, setupInput } = task.instance;
    const hideHistory = purpose === 'agent' ? { hideHistory: task.instance.hiddenHistory ?? 'later' } : {};
    return { environment, spec: { image, workdir, instance: { activate, setup, setupInput, ...hideHistory } } };
  }
  return { environment, spec: { image, repo: await resolveRepoSource(task, settings.repos) } };
}
