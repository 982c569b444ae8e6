// A fresh process in which several code_map parsers are used for the first time at once, as the first turns of
// parallel rollouts use them; prints each one's symbol names, or its error, as one JSON array.
import { WebTreeSitterParser } from '../../../src/core/agent/codemap/webTreeSitterParser';
import type { LanguageId } from '../../../src/core/agent/codemap/symbols';

export const FIRST_USE_SOURCES: Partial<Record<LanguageId, string>> = {
  python: 'def top():\n    pass\n\nclass Box:\n    def open(self):\n        pass\n',
  javascript: 'function top() {}\nclass Box {\n  open() {}\n}\n',
  go: 'package box\n\nfunc Top() {}\n\ntype Box struct{}\n\nfunc (b Box) Open() {}\n',
  rust: 'fn top() {}\nstruct Box;\nimpl Box {\n    fn open(&self) {}\n}\n',
};

async function main(): Promise<void> {
  const languages = Object.keys(FIRST_USE_SOURCES) as LanguageId[];
  const parsers = Number(process.env.ROLLOUT_FIRST_USE_PARSERS ?? 8);
  const outcomes = await Promise.allSettled(
    Array.from({ length: parsers }, (_, index) => {
      const language = languages[index % languages.length];
      return new WebTreeSitterParser().symbols(language, FIRST_USE_SOURCES[language] as string);
    }),
  );
  const names = outcomes.map((outcome) =>
    outcome.status === 'fulfilled'
      ? outcome.value.map((symbol) => symbol.name)
      : `error: ${(outcome.reason as Error).message}`,
  );
  process.stdout.write(`${JSON.stringify(names)}\n`);
}

if (require.main === module) void main();
