import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar-stream';

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Packs a directory tree into an in-memory tar under `prefix`, every entry owned by `owner`, ended by an empty file
 * named `endMark` at the top: an archive cut short lacks it.
 */
export async function packDirectory(dir: string, prefix: string, owner: Owner, endMark: string): Promise<Buffer> {
  const pack = tar.pack();
  const done = packedBytes(pack);
  pack.entry({ name: prefix, type: 'directory', mode: 0o755, ...owner });
  addTree(pack, dir, prefix, owner);
  pack.entry({ name: endMark, mode: 0o644, ...owner }, '');
  pack.finalize();
  return done;
}

function addTree(pack: tar.Pack, dir: string, prefix: string, owner: Owner): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const entryName = `${prefix}/${name}`;
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) {
      pack.entry({ name: entryName, type: 'symlink', linkname: readlinkSync(path), ...owner });
    } else if (stat.isDirectory()) {
      pack.entry({ name: entryName, type: 'directory', mode: stat.mode & 0o7777, ...owner });
      addTree(pack, path, entryName, owner);
    } else if (stat.isFile()) {
      pack.entry({ name: entryName, mode: stat.mode & 0o7777, ...owner }, readFileSync(path));
    }
  }
}

/**
 * The bytes of a pack as it is written (start reading before finalizing it). tar-stream's streams are streamx
 * streams, typed apart from node's but async-iterable all the same.
 */
export async function packedBytes(pack: tar.Pack): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}
