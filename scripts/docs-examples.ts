/**
 * The examples of output in README.md and docs/*.md are what the CLI prints, not typed: each block marked
 *
 *   <!-- output: rollout report runs/ --tasks tasks/examples -->
 *   ```text
 *   …
 *   ```
 *
 * is rewritten with what that command prints (dist/cli.js, run in a folder where `tasks/` is the bundled tasks and
 * `runs/` their reference recordings).
 *   npm run docs:examples            rewrites the blocks
 *   node out/scripts/docs-examples.js --check   changes nothing; exits 1 naming each block that is not current
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../src/core/paths';
import { docFiles } from '../test/support/documentedCommands';

const ROOT = packageRoot();
const BLOCK = /^<!-- output: (rollout [^\n]*?) -->\n```text\n([\s\S]*?)^```$/gm;

/**
 * A folder where the docs' names exist: `tasks/examples/` holds the bundled tasks and `runs/` their reference
 * recordings (a solved and an unsolved run of each), or only those of `tasks` when given.
 */
export function docsWorkspace(tasks?: string[]): string {
  const folder = mkdtempSync(join(tmpdir(), 'rollout-docs-'));
  const examples = join(ROOT, 'tasks', 'examples');
  for (const task of readdirSync(examples, { withFileTypes: true })) {
    if (!task.isDirectory() || (tasks && !tasks.includes(task.name))) continue;
    cpSync(join(examples, task.name), join(folder, 'tasks', 'examples', task.name), { recursive: true });
    cpSync(join(examples, task.name, 'reference'), join(folder, 'runs', task.name), { recursive: true });
  }
  return folder;
}

export interface OutputBlock {
  /** `FILE:LINE` of the marker. */
  where: string;
  command: string;
  shown: string;
}

/** The marked output blocks of a Markdown file. */
export function outputBlocks(file: string, markdown: string): OutputBlock[] {
  return [...markdown.matchAll(BLOCK)].map((match) => ({
    where: `${file}:${markdown.slice(0, match.index).split('\n').length}`,
    command: match[1],
    shown: match[2],
  }));
}

/** What a block's command prints now, run in `cwd`; a command that fails is an error naming its block. */
function printed(block: OutputBlock, cwd: string): string {
  const [, ...args] = block.command.split(/\s+/);
  const run = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${block.where}: \`${block.command}\` exited ${run.status}: ${run.stderr}`);
  // Trailing spaces of table cells are not part of the example (and editors strip them).
  return `${run.stdout.replace(/[ \t]+$/gm, '').trimEnd()}\n`;
}

/** Rewrites (or, with `check`, only compares) every marked block of `files`; the blocks that were not current. */
export function updateOutputExamples(files: string[], check: boolean): string[] {
  const cwd = docsWorkspace();
  const stale: string[] = [];
  try {
    for (const file of files) {
      const markdown = readFileSync(resolve(ROOT, file), 'utf8');
      const blocks = outputBlocks(file, markdown);
      const current = new Map(blocks.map((block) => [block.where, printed(block, cwd)]));
      for (const block of blocks) if (current.get(block.where) !== block.shown) stale.push(block.where);
      if (check || !blocks.some((block) => stale.includes(block.where))) continue;
      let index = 0;
      const rewritten = markdown.replace(BLOCK, (_, command: string) => {
        const output = current.get(blocks[index++].where) as string;
        return `<!-- output: ${command} -->\n\`\`\`text\n${output}\`\`\``;
      });
      writeFileSync(resolve(ROOT, file), rewritten);
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  return stale;
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  const files = process.argv.slice(2).filter((arg) => arg !== '--check');
  const stale = updateOutputExamples(files.length ? files : docFiles(), check);
  for (const where of stale) console.log(`${where}: ${check ? 'not what the command prints now' : 'rewritten'}`);
  if (check && stale.length) {
    console.log('run `npm run docs:examples` to rewrite them');
    process.exit(1);
  }
}
