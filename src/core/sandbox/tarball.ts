import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import type { FileEntry } from './sandbox';

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
  const done = collect(pack);
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

/** A tar holding one file at `name` (a relative path; parent folders are created as entries too). */
export async function packFile(name: string, content: Buffer, owner: Owner): Promise<Buffer> {
  const pack = tar.pack();
  const done = collect(pack);
  const parts = name.split('/');
  for (let depth = 1; depth < parts.length; depth++) {
    pack.entry({ name: parts.slice(0, depth).join('/'), type: 'directory', mode: 0o755, ...owner });
  }
  pack.entry({ name, mode: 0o644, ...owner }, content);
  pack.finalize();
  return done;
}

/** The content of the first regular file in a tar stream (the Engine's archive API wraps one file in a tar). */
export async function firstFileContent(stream: NodeJS.ReadableStream): Promise<Buffer | undefined> {
  let content: Buffer | undefined;
  await walkTar(stream, async (header, body) => {
    if (content === undefined && header.type === 'file') content = await collect(body);
  });
  return content;
}

/** The entries of a tar stream of a directory, relative to that directory. */
export async function listTarEntries(stream: NodeJS.ReadableStream): Promise<FileEntry[]> {
  const entries: FileEntry[] = [];
  await walkTar(stream, async (header) => {
    const relative = header.name.replace(/\/$/, '').split('/').slice(1).join('/');
    if (!relative) return;
    const type = header.type === 'directory' ? 'directory' : header.type === 'symlink' ? 'symlink' : 'file';
    entries.push({ path: relative, type, size: header.size ?? 0 });
  });
  return entries;
}

async function walkTar(
  stream: NodeJS.ReadableStream,
  onEntry: (header: tar.Header, body: AsyncIterable<unknown>) => Promise<void>,
): Promise<void> {
  const extract = tar.extract();
  stream.on('error', (error: Error) => extract.destroy(error));
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  for await (const entry of extract) {
    await onEntry(entry.header, entry);
    entry.resume();
  }
}

/** tar-stream's streams are streamx streams, typed apart from node's but async-iterable all the same. */
async function collect(chunks: AsyncIterable<unknown> | tar.Pack): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}
