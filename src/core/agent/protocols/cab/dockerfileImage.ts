/**
 * The image of a CodeAssistBench task that ships a Dockerfile: named by the task and the Dockerfile's content
 * hash, and built (offline: build steps get no network) by the engine that starts the task's sandbox.
 */
import { createHash } from 'node:crypto';
import type { Task } from '../../../task/task';

export function dockerfileImageTag(task: Task, dockerfile: string): string {
  const name = task.id.toLowerCase().replace(/[^a-z0-9._-]/g, '_');
  return `rollout-studio/cab-${name}:${createHash('sha256').update(dockerfile).digest('hex').slice(0, 12)}`;
}
