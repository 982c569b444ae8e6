/** Quotes a string as one POSIX shell word (left as it is when the shell would read it back unchanged). */
export function shellQuote(word: string): string {
  return /^[\w./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
