/**
 * A shell command that writes `content` to `path` from base64, which neither a here-document's delimiter nor a test
 * command's placeholders can touch.
 */
export function writeFileCommand(path: string, content: string): string {
  return `echo ${Buffer.from(content).toString('base64')} | base64 -d > ${path}`;
}

/** Quotes a string as one POSIX shell word (left as it is when the shell would read it back unchanged). */
export function shellQuote(word: string): string {
  return /^[\w./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
