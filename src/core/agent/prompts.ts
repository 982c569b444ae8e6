import type { Task } from '../task/task';

export function systemPrompt(workdir: string): string {
  return [
    'You are a software engineer fixing an issue in a repository.',
    `The repository is checked out at ${workdir} inside a sandbox with no network access.`,
    'Work only through the tools: inspect the code, reproduce the problem, edit the files, and run the tests.',
    'Every reply must call at least one tool. When the fix is complete, call `submit`.',
  ].join('\n');
}

export function taskPrompt(task: Task): string {
  const parts = [`<issue>\n${task.problemStatement.trim()}\n</issue>`];
  if (task.hints.trim()) parts.push(`<hints>\n${task.hints.trim()}\n</hints>`);
  parts.push('Resolve the issue with a minimal change to the non-test files, check it, then call `submit`.');
  return parts.join('\n\n');
}
