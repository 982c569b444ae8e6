export { parse, parseLine, parseRecords } from './parse.js';
export { stringify, stringifyField } from './stringify.js';
