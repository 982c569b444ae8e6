/**
 * The one registry of log parsers, by the names the SWE-bench harness gives them (its `PARSER_REGISTRY`
 * without the `parse_log_` prefix; a dataset's `log_parser` field may carry the prefix), plus Rollout
 * Studio's own for formats the harness does not read, and Multi-SWE-bench's (`mswebench_`, one per test tool). Several names are one parser, as in the harness: a
 * repository family keeps its own name even where it reads logs like another.
 */

import { LogParseError, type LogParser, type ParseContext, type StatusMap } from '../testStatus';
import { parseAnt } from './ant';
import { parseCalypso } from './calypso';
import { parseCargo } from './cargo';
import { parseCucumber } from './cucumber';
import { parseDjango } from './django';
import { parseDoctest } from './doctest';
import { parseGoogletest } from './googletest';
import { parseGoTest } from './goTest';
import { parseGradleCustom } from './gradle';
import { parseJest } from './jest';
import { parseCarbon, parseGrommet } from './jestFileResults';
import { parseJestJson } from './jestJson';
import { parseJqTest } from './jqTest';
import { parseJunitXml } from './junitXml';
import { parseKarma } from './karma';
import { parseLighthouse } from './lighthouse';
import { parseBpmnJs, parseChartJs, parseEslint, parseOpenlayers } from './karmaFailures';
import { parseMaven } from './maven';
import { parseMicropythonTest } from './micropythonTest';
import { parseMinitest } from './minitest';
import { parsePrismjs } from './mochaJson';
import { parseMochaSpec } from './mochaSpec';
import { parseSweBenchPro } from './sweBenchPro';
import { parseByMultiSweBenchHarness } from './multiSweBench/harness';
import { parseBySweRebenchV2Harness } from './sweRebenchV2';
import { parseMultiSweBenchGoTest, parseMultiSweBenchGoTestParent } from './multiSweBench/goTest';
import {
  parseMultiSweBenchGradle,
  parseMultiSweBenchGradleFromCache,
  parseMultiSweBenchGradleStripped,
} from './multiSweBench/gradle';
import { parseMultiSweBenchJest, parseMultiSweBenchJestOneWordSuites } from './multiSweBench/jest';
import {
  parseMultiSweBenchCargo,
  parseMultiSweBenchCtest,
  parseMultiSweBenchCtestFailedLast,
  parseMultiSweBenchCtestWithChecks,
  parseMultiSweBenchCtestWithExceptions,
  parseMultiSweBenchGoogletest,
  parseMultiSweBenchJestColouredFiles,
  parseMultiSweBenchJestFlat,
  parseMultiSweBenchJestMocha,
  parseMultiSweBenchJestSuites,
  parseMultiSweBenchJq,
  parseMultiSweBenchMocha,
  parseMultiSweBenchPhpRunTests,
  parseMultiSweBenchTcl,
  parseMultiSweBenchTclWithIgnored,
  parseMultiSweBenchTestRunnerTable,
  parseMultiSweBenchVitest,
  parseMultiSweBenchVitestFiles,
  parseMultiSweBenchVitestTurbo,
} from './multiSweBench/linePatterns';
import {
  parseMultiSweBenchMaven,
  parseMultiSweBenchMavenRunningLine,
  parseMultiSweBenchMavenRunningSummary,
  parseMultiSweBenchMavenUncoloured,
} from './multiSweBench/maven';
import { parseMultiSweBenchMochaJson, parseMultiSweBenchMochaJsonReports } from './multiSweBench/mochaJsonReports';
import {
  parseMultiSweBenchMochaNested,
  parseMultiSweBenchMochaNestedColon,
  parseMultiSweBenchNodeunitMochaNestedColon,
} from './multiSweBench/mochaNested';
import { parseMultiSweBenchTapSubtests } from './multiSweBench/tapSubtests';
import {
  parseMultiSweBenchMrubyKoCounts,
  parseMultiSweBenchMrubyTests,
  parseMultiSweBenchMrubyTotals,
  parseMultiSweBenchZstdDecoderBuilt,
  parseMultiSweBenchZstdPoolTests,
} from './multiSweBench/wholeRun';
import { parseNext } from './next';
import { parseNodeTap } from './nodeTap';
import { parseNumberedFailures } from './numberedFailures';
import { parseP5js } from './p5js';
import { parsePhpunit } from './phpunit';
import { parseMatplotlib, parsePytest, parsePytestOptions, parsePytestV2, parseSeaborn } from './pytest';
import { parseQuartoCli } from './quartoCli';
import { parseRedisTest } from './redisTest';
import { parseRspecTransformedJson } from './rspec';
import { parseSympy } from './sympy';
import { parseTap } from './tap';
import { parseRubyUnit } from './testUnit';
import { parseVitest } from './vitest';

/**
 * A SWE-bench harness parser as Multi-SWE-bench copies it for its Python repositories: as the harness's release 4
 * reads, whatever release a run grades by.
 */
function asHarness4(parser: LogParser): LogParser {
  return (log, context) => parser(log, { ...context, harnessVersion: 4 });
}

/** A parser picked by the instance's pull-request number, as the harness picks one for two repositories. */
function byInstanceNumber(position: 'first' | 'last', parsers: Record<string, LogParser>): LogParser {
  return (log, context) => {
    const parts = context.instanceId.split('-');
    const number = position === 'first' ? parts[1] : parts[parts.length - 1];
    const parser = number === undefined ? undefined : parsers[number];
    if (!parser) throw new LogParseError(`the harness has no log parser for the instance '${context.instanceId}'`);
    return parser(log, context);
  };
}

export const LOG_PARSERS = {
  // Python: SWE-bench, Lite, Verified
  pytest: parsePytest,
  pytest_options: parsePytestOptions,
  pytest_v2: parsePytestV2,
  django: parseDjango,
  seaborn: parseSeaborn,
  sympy: parseSympy,
  matplotlib: parseMatplotlib,
  astroid: parsePytest,
  flask: parsePytest,
  marshmallow: parsePytest,
  pvlib: parsePytest,
  pyvista: parsePytest,
  sqlfluff: parsePytest,
  xarray: parsePytest,
  pydicom: parsePytestOptions,
  requests: parsePytestOptions,
  pylint: parsePytestOptions,
  astropy: parsePytestV2,
  scikit: parsePytestV2,
  sphinx: parsePytestV2,
  // JavaScript and TypeScript: SWE-bench Multilingual and Multimodal
  jest: parseJest,
  jest_json: parseJestJson,
  vitest: parseVitest,
  karma: parseKarma,
  tap: parseTap,
  immutable_js: byInstanceNumber('last', { '2006': parseJest, '2005': parseJestJson }),
  highlightjs: parseMochaSpec,
  marked: parseNumberedFailures,
  chart_js: parseChartJs,
  openlayers: parseOpenlayers,
  bpmn_js: parseBpmnJs,
  eslint: parseEslint,
  prismjs: parsePrismjs,
  carbon: parseCarbon,
  react_pdf: parseCarbon,
  grommet: parseGrommet,
  calypso: parseCalypso,
  lighthouse: parseLighthouse,
  p5js: parseP5js,
  next: parseNext,
  quarto_cli: parseQuartoCli,
  // C and C++
  redis: parseRedisTest,
  jq: parseJqTest,
  doctest: parseDoctest,
  micropython_test: parseMicropythonTest,
  googletest: parseGoogletest,
  // Go, Rust, Java, PHP, Ruby
  gotest: parseGoTest,
  cargo: parseCargo,
  maven: parseMaven,
  ant: parseAnt,
  gradle_custom: parseGradleCustom,
  phpunit: parsePhpunit,
  minitest: parseMinitest,
  cucumber: parseCucumber,
  ruby_unit: parseRubyUnit,
  rspec_transformed_json: parseRspecTransformedJson,
  jekyll: byInstanceNumber('first', {
    '9141': parseMinitest,
    '8047': parseMinitest,
    '8167': parseMinitest,
    '8761': parseCucumber,
    '8771': parseCucumber,
  }),
  // Multi-SWE-bench's readings, per test tool (its harness has one parser per repository; several share one).
  mswebench_cargo: parseMultiSweBenchCargo,
  mswebench_go_test: parseMultiSweBenchGoTest,
  mswebench_go_test_parent: parseMultiSweBenchGoTestParent,
  mswebench_maven: parseMultiSweBenchMaven,
  mswebench_maven_uncoloured: parseMultiSweBenchMavenUncoloured,
  mswebench_maven_running_line: parseMultiSweBenchMavenRunningLine,
  mswebench_maven_running_summary: parseMultiSweBenchMavenRunningSummary,
  mswebench_gradle: parseMultiSweBenchGradle,
  mswebench_gradle_from_cache: parseMultiSweBenchGradleFromCache,
  mswebench_gradle_stripped: parseMultiSweBenchGradleStripped,
  mswebench_ctest: parseMultiSweBenchCtest,
  mswebench_ctest_failed_last: parseMultiSweBenchCtestFailedLast,
  mswebench_ctest_with_checks: parseMultiSweBenchCtestWithChecks,
  mswebench_ctest_with_exceptions: parseMultiSweBenchCtestWithExceptions,
  mswebench_googletest: parseMultiSweBenchGoogletest,
  mswebench_jest: parseMultiSweBenchJest,
  mswebench_jest_one_word_suites: parseMultiSweBenchJestOneWordSuites,
  mswebench_jest_flat: parseMultiSweBenchJestFlat,
  mswebench_jest_suites: parseMultiSweBenchJestSuites,
  mswebench_jest_mocha: parseMultiSweBenchJestMocha,
  mswebench_jest_coloured_files: parseMultiSweBenchJestColouredFiles,
  mswebench_mocha: parseMultiSweBenchMocha,
  mswebench_mocha_nested: parseMultiSweBenchMochaNested,
  mswebench_mocha_nested_colon: parseMultiSweBenchMochaNestedColon,
  mswebench_nodeunit_mocha_nested_colon: parseMultiSweBenchNodeunitMochaNestedColon,
  mswebench_mocha_json_reports: parseMultiSweBenchMochaJsonReports,
  mswebench_mocha_json: parseMultiSweBenchMochaJson,
  mswebench_vitest: parseMultiSweBenchVitest,
  mswebench_vitest_files: parseMultiSweBenchVitestFiles,
  mswebench_vitest_turbo: parseMultiSweBenchVitestTurbo,
  mswebench_tap_subtests: parseMultiSweBenchTapSubtests,
  mswebench_jq: parseMultiSweBenchJq,
  mswebench_tcl: parseMultiSweBenchTcl,
  mswebench_tcl_with_ignored: parseMultiSweBenchTclWithIgnored,
  mswebench_test_runner_table: parseMultiSweBenchTestRunnerTable,
  mswebench_php_run_tests: parseMultiSweBenchPhpRunTests,
  mswebench_pytest: asHarness4(parsePytest),
  mswebench_pytest_options: asHarness4(parsePytestOptions),
  mswebench_pytest_v2: asHarness4(parsePytestV2),
  mswebench_matplotlib: asHarness4(parseMatplotlib),
  mswebench_seaborn: asHarness4(parseSeaborn),
  mswebench_zstd_pool_tests: parseMultiSweBenchZstdPoolTests,
  mswebench_zstd_decoder_built: parseMultiSweBenchZstdDecoderBuilt,
  mswebench_mruby_totals: parseMultiSweBenchMrubyTotals,
  mswebench_mruby_ko_counts: parseMultiSweBenchMrubyKoCounts,
  mswebench_mruby_tests: parseMultiSweBenchMrubyTests,
  // The harness's own parser for a row, run where it is installed (Multi-SWE-RL's ranges and releases).
  mswebench_harness: parseByMultiSweBenchHarness,
  // SWE-bench Pro's: the results each instance's own parser writes.
  swebench_pro: parseSweBenchPro,
  // SWE-rebench-V2's: its own parsers, run from the user's checkout of its harness.
  swe_rebench_v2_harness: parseBySweRebenchV2Harness,
  // Rollout Studio's own: formats the harness has no parser for.
  unittest: parseDjango,
  'node-tap': parseNodeTap,
  'junit-xml': parseJunitXml,
} satisfies Record<string, LogParser>;

export type LogParserName = keyof typeof LOG_PARSERS;
export const LOG_PARSER_NAMES = Object.keys(LOG_PARSERS) as LogParserName[];

/** A parser name as a task, a spec or a dataset row writes it (`pytest_v2` or `parse_log_pytest_v2`). */
export function logParserName(value: string): LogParserName {
  const name = value.replace(/^parse_log_/, '').replace(/^parse_/, '');
  if (name in LOG_PARSERS) return name as LogParserName;
  throw new Error(`'${value}' is not a log parser (known: ${LOG_PARSER_NAMES.join(', ')})`);
}

export function parseTestLog(name: LogParserName, log: string, context: ParseContext): StatusMap {
  return LOG_PARSERS[name](log, context);
}
