import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths';

/** The `rollout …` and `npm run …` commands the docs show: checked by test/unit/docs, run by test/integration/docs. */

const ROOT = packageRoot();
const SHELL_BLOCKS = new Set(['', 'sh', 'bash', 'shell', 'console']);

export interface DocumentedCommand {
  /** `FILE:LINE` */
  where: string;
  text: string;
  /** In a fenced shell block (a command to paste), not inline code in prose. */
  fenced: boolean;
}

function lineOf(markdown: string, index: number): number {
  return markdown.slice(0, index).split('\n').length;
}

/** The commands in a Markdown file: shell lines of fenced blocks (continuations joined, `&&` chains split) and inline code. */
export function documentedCommands(file: string, markdown: string): DocumentedCommand[] {
  const found: DocumentedCommand[] = [];
  const add = (line: number, text: string, fenced: boolean) => {
    const command = text.replace(/^\$\s+/, '').trim();
    if (/^(rollout|npm run)\s/.test(command)) found.push({ where: `${file}:${line}`, text: command, fenced });
  };
  for (const block of markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)) {
    if (!SHELL_BLOCKS.has(block[1])) continue;
    const first = lineOf(markdown, block.index) + 1;
    const lines = block[2].split('\n');
    for (let index = 0; index < lines.length; index += 1) {
      let text = lines[index];
      const start = index;
      while (text.endsWith('\\') && index + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++index]}`;
      for (const part of text.replace(/(^|\s)#.*$/, '').split(/&&|;|\|\|/)) add(first + start, part, true);
    }
  }
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, (block) => block.replace(/[^\n]/g, ' '));
  for (const span of prose.matchAll(/`([^`]+)`/g))
    add(lineOf(markdown, span.index), span[1].replace(/\s+/g, ' '), false);
  return found;
}

/** README.md and docs/*.md, relative to the package root. */
export function docFiles(): string[] {
  return [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];
}
