/**
 * Karma runs that list only failures, as `<browser> (<platform>) <suite> <test> FAILED`: Chart.js,
 * OpenLayers and bpmn-js, each with the browser lines its CI printed. These repositories are graded
 * FAIL_ONLY (a test not listed as failed passed).
 */

import type { LogParser, StatusMap } from '../testStatus';
import { stripAnsi, strip } from './text';

function failuresOf(matches: Iterable<string>, rename: (name: string) => string = (name) => name): StatusMap {
  const statuses: StatusMap = new Map();
  for (const name of matches) statuses.set(rename(name), 'FAILED');
  return statuses;
}

function* captured(log: string, patterns: RegExp[], group = 1): Generator<string> {
  for (const pattern of patterns) for (const match of log.matchAll(pattern)) yield match[group];
}

const collapseSpaces = (name: string): string => strip(name.replace(/\s+/g, ' '));

export const parseChartJs: LogParser = (log) =>
  failuresOf(captured(stripAnsi(log), [/Chrome\s[\d.]+[^\S\r\n]\([^\n]+?\)[^\S\r\n]([^\n]*)FAILED(?![^\n])/g]));

export const parseOpenlayers: LogParser = (log) =>
  failuresOf(
    captured(log, [
      /Chrome\sHeadless\s[\d.]+\s\(Linux\s[\d._\S]+\)\s([^\n]*)\sFAILED\n/g,
      /Chrome\s[\d.]+\s\(Linux\s[\d._\S]+\)\s([^\n]*)FAILED\n/g,
      /(?<![^\n])\s{2}\d+\)([\s\S]*?)Error:/g,
      /(?<![^\n])case\s([^\n]*):\smismatch/g,
    ]),
    collapseSpaces,
  );

export const parseBpmnJs: LogParser = (log) => {
  const statuses = failuresOf(
    captured(log, [
      /2KPhantomJS\s[\d.]+\s\(Linux\s[\d.]+\)\s([^\n]*)FAILED\n/g,
      /2KPhantomJS\s[\d.]+\s\(Linux\sx86_64\)\s([^\n]*)FAILED\n/g,
    ]),
  );
  for (const name of captured(log, [/Chrome\sHeadless\s([^\n]*)\s\(Linux\sx86_64\)\s([^\n]*)FAILED\n/g], 2))
    statuses.set(name, 'FAILED');
  for (const name of captured(log, [/HeadlessChrome\s[\d.]+\s\(Linux\s[\d.]+\)\s([^\n]*)FAILED\n/g]))
    statuses.set(name, 'FAILED');
  return statuses;
};

/** ESLint's runs with mocha's `min` reporter: the numbered failure blocks, up to the error's name. */
export const parseEslint: LogParser = (log) =>
  failuresOf(captured(log, [/(\s{2}\d+\))([\s\S]*?)\s+(?:([^\n]*)Error)/g], 2), collapseSpaces);
