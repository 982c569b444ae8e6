/** Long observations keep their head and tail: the start says what ran, the end says how it ended. */

export interface Truncated {
  text: string;
  truncated: boolean;
}

export function truncateMiddle(text: string, maxChars: number): Truncated {
  if (text.length <= maxChars) return { text, truncated: false };
  const headChars = Math.floor(maxChars / 2);
  const tailChars = maxChars - headChars;
  const head = text.slice(0, headChars);
  const tail = text.slice(text.length - tailChars);
  const omittedChars = text.length - headChars - tailChars;
  const omittedLines = countLines(text.slice(headChars, text.length - tailChars));
  const note =
    `\n\n[… observation truncated: ${omittedChars} characters (${omittedLines} lines) omitted from the middle; ` +
    `narrow the command or view a line range to see them …]\n\n`;
  return { text: head + note + tail, truncated: true };
}

function countLines(text: string): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}
