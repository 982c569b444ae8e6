/**
 * Writes one field, quoting it when it holds the delimiter, a quote or a line break.
 * @param {unknown} value
 * @param {{ delimiter?: string }} [options]
 * @returns {string}
 */
export function stringifyField(value, { delimiter = ',' } = {}) {
  const text = value === null || value === undefined ? '' : String(value);
  const needsQuotes = text.includes(delimiter) || /["\r\n]/.test(text);
  return needsQuotes ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Writes rows as CSV text with `\r\n` line ends, as RFC 4180 asks.
 * @param {unknown[][]} rows
 * @param {{ delimiter?: string }} [options]
 * @returns {string}
 */
export function stringify(rows, options = {}) {
  const delimiter = options.delimiter ?? ',';
  return rows.map((row) => row.map((value) => stringifyField(value, options)).join(delimiter) + '\r\n').join('');
}
