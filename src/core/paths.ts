import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The folder holding this package's package.json, whichever bundle (dist/, out/test/…) is running. */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'rollout-studio') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the rollout-studio package root above ${__dirname}`);
    dir = parent;
  }
}

/** The bundled example tasks (tasks/examples): what `rollout validate` and the demo use when given none. */
export function exampleTasksFolder(): string {
  return join(packageRoot(), 'tasks', 'examples');
}

/** Where repositories, checkouts and environments are cached between runs; `ROLLOUT_CACHE` overrides it. */
export function cacheDir(): string {
  return process.env.ROLLOUT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rollout-studio');
}
