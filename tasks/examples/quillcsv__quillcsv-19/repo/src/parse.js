/**
 * Splits one CSV line into its fields. Quoted fields may contain the delimiter.
 * @param {string} line
 * @param {{ delimiter?: string }} [options]
 * @returns {string[]}
 */
export function parseLine(line, { delimiter = ',' } = {}) {
  const fields = [];
  let field = '';
  let quoted = false;
  for (const char of line) {
    if (char === '"') {
      quoted = !quoted;
      continue;
    }
    if (char === delimiter && !quoted) {
      fields.push(field);
      field = '';
      continue;
    }
    field += char;
  }
  if (quoted) throw new SyntaxError(`unterminated quoted field in line: ${line}`);
  fields.push(field);
  return fields;
}

/**
 * Parses CSV text into rows of fields; accepts `\n` and `\r\n` line ends and skips blank lines.
 * @param {string} text
 * @param {{ delimiter?: string }} [options]
 * @returns {string[][]}
 */
export function parse(text, options = {}) {
  return text
    .split(/\r?\n/)
    .filter((line) => line !== '')
    .map((line) => parseLine(line, options));
}

/**
 * Parses CSV text whose first row is a header into one object per following row.
 * @param {string} text
 * @param {{ delimiter?: string }} [options]
 * @returns {Record<string, string>[]}
 */
export function parseRecords(text, options = {}) {
  const [header, ...rows] = parse(text, options);
  if (!header) return [];
  return rows.map((row, index) => {
    if (row.length !== header.length) {
      throw new SyntaxError(`row ${index + 2} has ${row.length} fields, the header has ${header.length}`);
    }
    return Object.fromEntries(header.map((name, column) => [name, row[column]]));
  });
}
