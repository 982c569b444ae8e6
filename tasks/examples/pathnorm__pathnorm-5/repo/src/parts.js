import { normalize } from './normalize.js';

/**
 * The directory part of a path: everything before the last segment.
 * @param {string} path
 * @returns {string}
 */
export function dirname(path) {
  const normalized = normalize(path).replace(/\/$/, '');
  const slash = normalized.lastIndexOf('/');
  if (slash === -1) return '.';
  return slash === 0 ? '/' : normalized.slice(0, slash);
}

/**
 * The last segment of a path, without `suffix` when it ends with it.
 * @param {string} path
 * @param {string} [suffix]
 * @returns {string}
 */
export function basename(path, suffix = '') {
  const normalized = normalize(path).replace(/\/$/, '');
  const base = normalized.slice(normalized.lastIndexOf('/') + 1);
  return suffix && base !== suffix && base.endsWith(suffix) ? base.slice(0, -suffix.length) : base;
}

/**
 * The extension of the last segment, from its last dot (`'.gz'` for `'a.tar.gz'`); `''` for dotfiles.
 * @param {string} path
 * @returns {string}
 */
export function extname(path) {
  const base = basename(path);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot);
}
