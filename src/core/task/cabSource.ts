/** CodeAssistBench JSONL as released: list fields as JSON arrays or Python-literal strings, `'None'` for missing. */

import {
  listField,
  loadRows,
  optionalString,
  parseEncodedValue,
  requiredString,
  stringListField,
  type Row,
} from './rows';
import { FieldError, type CabDetails, type Task, type TaskLoadResult, type TaskSource } from './task';

const GITHUB_ISSUE_URL = /^https:\/\/github\.com\/([\w.-]+\/[\w.-]+)\/(?:issues|pull)\/(\d+)/;

function comments(row: Row): CabDetails['comments'] {
  return listField(row, 'comments', { required: true }).map((item, index) => {
    const comment = typeof item === 'string' ? parseEncodedValue('comments', item) : item;
    if (typeof comment !== 'object' || comment === null)
      throw new FieldError('comments', `element ${index} must be an object`);
    const { user, body, created_at: createdAt } = comment as Record<string, unknown>;
    if (typeof body !== 'string') throw new FieldError('comments', `element ${index} has no string 'body'`);
    return {
      user: typeof user === 'string' ? user : '',
      body,
      createdAt: typeof createdAt === 'string' ? createdAt : undefined,
    };
  });
}

/** The dataset's own category of the task (`_classification.category`, e.g. "Does not need build environment"). */
function classification(row: Row): string | undefined {
  const raw = row._classification;
  if (raw === undefined || raw === null || raw === 'None') return undefined;
  const value = typeof raw === 'string' ? parseEncodedValue('_classification', raw) : raw;
  if (typeof value !== 'object' || value === null) throw new FieldError('_classification', 'must be an object');
  const category = (value as Record<string, unknown>).category;
  return typeof category === 'string' && category !== '' ? category : undefined;
}

export function cabRowToTask(row: Row): Task {
  const url = requiredString(row, 'url');
  const repoMatch = GITHUB_ISSUE_URL.exec(url);
  if (!repoMatch) throw new FieldError('url', `'${url}' is not a GitHub issue or pull request URL`);
  // Some releases (cab_recent, the examples) carry no task_id, or a blank one: the issue's address names it, stably.
  const id = optionalString(row, 'task_id')?.trim() || idFromUrl(url);
  const commit = requiredString(row, 'commit_id');
  const title = requiredString(row, 'title');
  const satisfactionConditions = stringListField(row, 'satisfaction_conditions', { required: true });
  if (satisfactionConditions.length === 0)
    throw new FieldError('satisfaction_conditions', 'must list at least one condition');
  return {
    id,
    kind: 'cab',
    repo: { name: repoMatch[1], location: `https://github.com/${repoMatch[1]}.git`, commit },
    problemStatement: `${title}\n\n${optionalString(row, 'body') ?? ''}`.trimEnd(),
    hints: '',
    language: optionalString(row, 'language')?.toLowerCase(),
    testPatch: '',
    goldPatch: '',
    failToPass: [],
    passToPass: [],
    cab: {
      title,
      url,
      comments: comments(row),
      satisfactionConditions,
      labels: stringListField(row, 'labels', { required: false }),
      dockerfile: optionalString(row, 'dockerfile'),
      category: classification(row),
    },
  };
}

/** `owner__name-NUMBER` of a GitHub issue or pull request address. */
function idFromUrl(url: string): string {
  const [, repo, number] = GITHUB_ISSUE_URL.exec(url) ?? [];
  return `${repo.replace('/', '__')}-${number}`;
}

/**
 * Rows without a task_id that share an issue (cab_recent lists an issue once per language of its repository)
 * are told apart by their language, or by their order when that is the same too.
 */
function distinguishSharedIssues(tasks: Task[]): Task[] {
  const byId = new Map<string, Task[]>();
  for (const task of tasks)
    if (task.cab && task.id === idFromUrl(task.cab.url)) byId.set(task.id, [...(byId.get(task.id) ?? []), task]);
  for (const shared of byId.values()) {
    if (shared.length < 2) continue;
    const byLanguage = new Set(shared.map((task) => task.language)).size === shared.length;
    shared.forEach((task, index) => {
      task.id = `${task.id}-${byLanguage && task.language ? task.language.replace(/[^\w.-]/g, '_') : index + 1}`;
    });
  }
  return tasks;
}

export class CabSource implements TaskSource {
  readonly format = 'cab';

  load(path: string): Promise<TaskLoadResult> {
    return loadRows(path, cabRowToTask, { idField: 'task_id', distinguish: distinguishSharedIssues });
  }
}
