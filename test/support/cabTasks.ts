/**
 * Real CodeAssistBench rows (test/fixtures/cab) as tasks that run here: their GitHub repositories cannot be
 * cloned, so each runs on a small local repository instead, keeping the row's issue, thread and conditions.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths';
import { cabRowToTask } from '../../src/core/task/cabSource';
import type { Task } from '../../src/core/task/task';

export const CAB_FIXTURES = join(packageRoot(), 'test', 'fixtures', 'cab');

export function cabRows(file = 'cab_verified_lenient.jsonl'): Record<string, unknown>[] {
  return readFileSync(join(CAB_FIXTURES, file), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Row cab_lenient_18 (smolagents, "Event loop is closed"). */
export function smolagentsRow(): Record<string, unknown> {
  const row = cabRows().find((candidate) => candidate.task_id === 'cab_lenient_18');
  if (!row) throw new Error('the CodeAssistBench fixture lacks row cab_lenient_18');
  return row;
}

/** A small git repository with the part of smolagents' API that issue 1046 is about. */
export function localSmolagentsRepo(): { location: string; commit: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cab-repo-'));
  mkdirSync(join(dir, 'smolagents'));
  writeFileSync(join(dir, 'smolagents', '__init__.py'), 'from .tools import ToolCollection\n');
  writeFileSync(
    join(dir, 'smolagents', 'tools.py'),
    [
      'from contextlib import contextmanager',
      '',
      'class ToolCollection:',
      '    @classmethod',
      '    @contextmanager',
      '    def from_mcp(cls, server_parameters):',
      '        """The MCP server runs only while this context is open; tools fail once it closes."""',
      '        client = start_mcp_client(server_parameters)',
      '        try:',
      '            yield cls(client.tools)',
      '        finally:',
      '            client.stop()',
      '',
    ].join('\n'),
  );
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'smolagents excerpt');
  return { location: dir, commit: git('rev-parse', 'HEAD') };
}

/** The row as a task on `repo`, its Dockerfile replaced by `dockerfile` (none when undefined). */
export function cabTaskOn(
  row: Record<string, unknown>,
  repo: { location: string; commit: string },
  dockerfile?: string,
): Task {
  const task = cabRowToTask({ ...row, dockerfile: dockerfile ?? null });
  return { ...task, repo: { location: repo.location, commit: repo.commit }, cab: { ...task.cab!, dockerfile } };
}
