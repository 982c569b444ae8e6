/**
 * doctest (C++) run with `-s -r=xml`: the `<doctest>` report in the log. A sub-case passes when every
 * assertion (`Expression`) in it succeeded; its id is `TestCase name > SubCase name`.
 */

import sax from 'sax';
import { LogParseError, type LogParser, type StatusMap } from '../testStatus';

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

function parseXml(xml: string): XmlElement {
  const parser = sax.parser(true);
  const root: XmlElement = { name: '', attributes: {}, children: [] };
  const open: XmlElement[] = [root];
  parser.onopentag = (tag) => {
    const element: XmlElement = { name: tag.name, attributes: tag.attributes as Record<string, string>, children: [] };
    open[open.length - 1].children.push(element);
    open.push(element);
  };
  parser.onclosetag = () => void open.pop();
  try {
    parser.write(xml).close();
  } catch (error) {
    throw new LogParseError(
      `the doctest XML report in the log is not well-formed: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  if (root.children.length !== 1) throw new LogParseError('the doctest XML report in the log is not well-formed');
  return root.children[0];
}

/** Every element below `element` named `name`, in document order. */
function descendants(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((child) => [...(child.name === name ? [child] : []), ...descendants(child, name)]);
}

export const parseDoctest: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  const start = log.indexOf('<doctest');
  if (start < 0) return statuses;
  const end = log.indexOf('</doctest>', start) + '</doctest>'.length;
  const report = parseXml(log.slice(start, Math.max(start, end)));
  for (const testCase of descendants(report, 'TestCase')) {
    for (const subCase of descendants(testCase, 'SubCase')) {
      const passed = descendants(subCase, 'Expression').every((expression) => expression.attributes.success === 'true');
      const name = `${testCase.attributes.name ?? 'None'} > ${subCase.attributes.name ?? 'None'}`;
      statuses.set(name, passed ? 'PASSED' : 'FAILED');
    }
  }
  return statuses;
};
