/**
 * Normalizes a POSIX path: collapses duplicate slashes, drops `.` segments and resolves `..`
 * against the segment before it. A trailing slash is kept.
 * @param {string} path
 * @returns {string}
 */
export function normalize(path) {
  if (typeof path !== 'string') throw new TypeError(`path must be a string, got ${typeof path}`);
  if (path === '') return '.';
  const absolute = path.startsWith('/');
  const segments = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  const body = segments.join('/');
  const trailingSlash = body !== '' && path.endsWith('/') ? '/' : '';
  if (absolute) return `/${body}${trailingSlash}`;
  return body === '' ? '.' : `${body}${trailingSlash}`;
}

/**
 * Joins path segments with `/` and normalizes the result.
 * @param {...string} parts
 * @returns {string}
 */
export function join(...parts) {
  const nonEmpty = parts.filter((part) => part !== '');
  return nonEmpty.length === 0 ? '.' : normalize(nonEmpty.join('/'));
}
