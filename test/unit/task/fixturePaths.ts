import { join } from 'node:path';

/** Tests run from the repository root (`npm test`, `node --test out/...`). */
export function fixture(...parts: string[]): string {
  return join(process.cwd(), 'test', 'fixtures', ...parts);
}
