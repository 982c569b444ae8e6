/**
 * The report page: leaderboard, charts (Chart.js with its error-bar plugin, bundled into this script), paired
 * comparisons, categories, trajectory analytics and the task × group matrix. The same script draws the
 * self-contained HTML report (data embedded in the page) and the VS Code Leaderboard webview (data posted by
 * the extension, with filters, and cells that open a run's playback). Every string from the runs reaches the
 * page through textContent: nothing is parsed as HTML.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Title,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import {
  BarWithErrorBar,
  BarWithErrorBarsController,
  PointWithErrorBar,
  ScatterWithErrorBarsController,
} from 'chartjs-chart-error-bars';
import {
  analyticsColumns,
  analyticsRow,
  categoryCell,
  leaderboardColumns,
  leaderboardRow,
  mcnemarText,
  rewardDifferenceText,
} from '../../src/core/report/formatText';
import type { CellRun, GroupReport, Report } from '../../src/core/report/model';
import type {
  ExtensionToLeaderboard,
  LeaderboardFilters,
  LeaderboardToExtension,
} from '../../src/extension/views/leaderboardProtocol';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Title,
  Tooltip,
  Legend,
  BarWithErrorBarsController,
  BarWithErrorBar,
  ScatterWithErrorBarsController,
  PointWithErrorBar,
);

interface VsCodeApi {
  postMessage(message: LeaderboardToExtension): void;
  /** Kept by VS Code for the Leaderboard's serializer: the filters shown, given back after a window reload. */
  setState(filters: LeaderboardFilters): void;
}
declare const acquireVsCodeApi: (() => VsCodeApi) | undefined;

/** Okabe–Ito: categorical colours that stay distinct for colour-blind readers. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];
const PLAYBACK_LINK = 'vscode://rollout-studio.rollout-studio/playback?path=';

const vscode = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
const charts: Chart[] = [];
let currentFilters: LeaderboardFilters | undefined;

type Child = Node | string | null | undefined | false;

function el(
  tag: string,
  props: { className?: string; title?: string; attrs?: Record<string, string> } = {},
  children: Child[] = [],
): HTMLElement {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.title) node.title = props.title;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children)
    if (child) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

function table(className: string, header: string[], rows: Child[][]): HTMLElement {
  return el('table', { className }, [
    el('thead', {}, [
      el(
        'tr',
        {},
        header.map((cell) => el('th', { attrs: { scope: 'col' } }, [cell])),
      ),
    ]),
    el(
      'tbody',
      {},
      rows.map((row) =>
        el(
          'tr',
          {},
          row.map((cell) => el('td', {}, [cell])),
        ),
      ),
    ),
  ]);
}

function section(id: string, title: string, ...content: Child[]): HTMLElement {
  return el('section', { attrs: { id, 'aria-labelledby': `${id}-title` } }, [
    el('h2', { attrs: { id: `${id}-title` } }, [title]),
    ...content,
  ]);
}

function colour(index: number): string {
  return PALETTE[index % PALETTE.length];
}

function theme(): { text: string; grid: string } {
  const style = getComputedStyle(document.body);
  return { text: style.color || '#222', grid: 'rgba(128, 128, 128, 0.25)' };
}

function chartCard(id: string, title: string, config: ChartConfiguration): HTMLElement {
  const canvas = el('canvas', { attrs: { id: `chart-${id}`, role: 'img', 'aria-label': title } }) as HTMLCanvasElement;
  const card = el('figure', { className: 'chart', attrs: { 'data-chart': id } }, [
    el('figcaption', {}, [title]),
    el('div', { className: 'chart-box' }, [canvas]),
  ]);
  // Drawn once the card is in the document, so the chart can size itself to it.
  queueMicrotask(() => {
    const { text, grid } = theme();
    Chart.defaults.color = text;
    Chart.defaults.borderColor = grid;
    const chart = new Chart(canvas, {
      ...config,
      options: { ...config.options, animation: false, responsive: true, maintainAspectRatio: false },
    });
    charts.push(chart);
    canvas.dataset.ready = 'true';
  });
  return card;
}

function resolvedChart(groups: GroupReport[]): HTMLElement {
  return chartCard('resolved', 'Resolved rate with 95% bootstrap interval', {
    type: BarWithErrorBarsController.id,
    data: {
      labels: groups.map((group) => group.label),
      datasets: [
        {
          label: 'resolved',
          data: groups.map((group) => ({
            y: (group.resolved?.value ?? 0) * 100,
            yMin: (group.resolved?.interval?.low ?? group.resolved?.value ?? 0) * 100,
            yMax: (group.resolved?.interval?.high ?? group.resolved?.value ?? 0) * 100,
          })),
          backgroundColor: groups.map((_, i) => colour(i)),
        },
      ],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: { y: { min: 0, max: 100, title: { display: true, text: '% of tasks' } } },
    },
  } as ChartConfiguration);
}

function passAtKChart(groups: GroupReport[]): HTMLElement {
  const maxK = Math.max(1, ...groups.map((group) => group.passAtK.length));
  const labels = Array.from({ length: maxK }, (_, i) => String(i + 1));
  return chartCard('pass-at-k', 'pass@k (solid) and pass^k (dashed) by k', {
    type: 'line',
    data: {
      labels,
      datasets: groups.flatMap((group, i) => [
        {
          label: `${group.label} pass@k`,
          data: group.passAtK.map((point) => point.value * 100),
          borderColor: colour(i),
          backgroundColor: colour(i),
        },
        {
          label: `${group.label} pass^k`,
          data: group.passHatK.map((point) => point.value * 100),
          borderColor: colour(i),
          backgroundColor: colour(i),
          borderDash: [6, 4],
        },
      ]),
    },
    options: {
      scales: {
        x: { title: { display: true, text: 'k (attempts)' } },
        y: { min: 0, max: 100, title: { display: true, text: '%' } },
      },
    },
  });
}

function costChart(groups: GroupReport[]): HTMLElement {
  return chartCard('cost', 'Cost per run against resolved rate', {
    type: ScatterWithErrorBarsController.id,
    data: {
      // A group with no known cost has no place on a cost axis (at $0 it would read as free).
      datasets: groups.flatMap((group, i) =>
        group.costUsd.mean === null
          ? []
          : [
              {
                label: group.label,
                data: [
                  {
                    x: group.costUsd.mean,
                    y: (group.resolved?.value ?? 0) * 100,
                    yMin: (group.resolved?.interval?.low ?? group.resolved?.value ?? 0) * 100,
                    yMax: (group.resolved?.interval?.high ?? group.resolved?.value ?? 0) * 100,
                  },
                ],
                backgroundColor: colour(i),
                borderColor: colour(i),
                pointRadius: 6,
              },
            ],
      ),
    },
    options: {
      scales: {
        x: { min: 0, title: { display: true, text: 'mean cost per run (USD)' } },
        y: { min: 0, max: 100, title: { display: true, text: 'resolved %' } },
      },
    },
  } as ChartConfiguration);
}

function turnsChart(groups: GroupReport[]): HTMLElement {
  const turns = [...new Set(groups.flatMap((group) => group.turnsHistogram.map(([value]) => value)))].sort(
    (a, b) => a - b,
  );
  return chartCard('turns', 'Turns per run', {
    type: 'bar',
    data: {
      labels: turns.map(String),
      datasets: groups.map((group, i) => {
        const counts = new Map(group.turnsHistogram);
        return {
          label: group.label,
          data: turns.map((value) => counts.get(value) ?? 0),
          backgroundColor: colour(i),
        };
      }),
    },
    options: {
      scales: {
        x: { title: { display: true, text: 'turns' } },
        y: { beginAtZero: true, title: { display: true, text: 'runs' }, ticks: { precision: 0 } },
      },
    },
  });
}

function toolsChart(groups: GroupReport[]): HTMLElement {
  const tools = [...new Set(groups.flatMap((group) => Object.keys(group.analytics.tools)))];
  return chartCard('tools', 'Tool use (share of each group’s calls)', {
    type: 'bar',
    data: {
      labels: groups.map((group) => group.label),
      datasets: tools.map((tool, i) => ({
        label: tool,
        data: groups.map((group) => {
          const total = Object.values(group.analytics.tools).reduce((sum, count) => sum + count, 0);
          return total ? ((group.analytics.tools[tool] ?? 0) / total) * 100 : 0;
        }),
        backgroundColor: colour(i),
      })),
    },
    options: {
      indexAxis: 'y',
      scales: { x: { stacked: true, max: 100, title: { display: true, text: '%' } }, y: { stacked: true } },
    },
  });
}

function roundsChart(groups: GroupReport[]): HTMLElement | null {
  const withRounds = groups.filter((group) => group.analytics.rounds.length > 0);
  if (withRounds.length === 0) return null;
  const last = Math.max(...withRounds.map((group) => group.analytics.rounds.length));
  return chartCard('rounds', 'Success by round (feedback and CodeAssistBench rounds)', {
    type: 'line',
    data: {
      labels: Array.from({ length: last }, (_, i) => String(i + 1)),
      datasets: withRounds.map((group) => ({
        label: group.label,
        data: group.analytics.rounds.map((round) => round.successRate * 100),
        borderColor: colour(groups.indexOf(group)),
        backgroundColor: colour(groups.indexOf(group)),
      })),
    },
    options: {
      scales: {
        x: { title: { display: true, text: 'round' } },
        y: { min: 0, max: 100, title: { display: true, text: '% succeeded' } },
      },
    },
  });
}

function leaderboard(report: Report): HTMLElement {
  const rows = report.groups.map((group, i): Child[] => {
    const cells: Child[] = leaderboardRow(group, i + 1);
    const swatch = el('span', { className: 'swatch' });
    swatch.style.background = colour(i);
    cells[1] = el('span', { className: 'group' }, [swatch, group.label]);
    return cells;
  });
  return table('leaderboard', leaderboardColumns(report.by), rows);
}

function comparisons(report: Report): HTMLElement | null {
  if (report.comparisons.length === 0) return null;
  const rows = report.comparisons.map((comparison) => [
    `${comparison.first} vs ${comparison.second}`,
    comparison.mcnemar ? mcnemarText(comparison.mcnemar) : '—',
    comparison.reward ? rewardDifferenceText(comparison.reward) : '—',
    comparison.onlyFirst.join(', ') || '—',
    comparison.onlySecond.join(', ') || '—',
  ]);
  return section(
    'comparisons',
    'Paired comparisons',
    table(
      'comparisons',
      [
        'groups',
        'resolved: McNemar',
        'reward difference: paired bootstrap CI, sign-flip test',
        'solved only by the first',
        'solved only by the second',
      ],
      rows,
    ),
  );
}

function categories(report: Report): HTMLElement | null {
  if (report.categories.length === 0) return null;
  return section(
    'categories',
    'Resolved by category',
    table(
      'categories',
      ['category', 'value', ...report.groups.map((group) => group.label)],
      report.categories.map((row) => [
        row.dimension,
        row.value,
        ...report.groups.map((group) => categoryCell(row.groups[group.key])),
      ]),
    ),
  );
}

function analytics(report: Report): HTMLElement {
  return section(
    'analytics',
    'Inside the trajectories',
    table('analytics', analyticsColumns(report.by), report.groups.map(analyticsRow)),
  );
}

function runChip(run: CellRun): HTMLElement {
  const mark = run.resolved === null ? '·' : run.resolved ? '✓' : '✗';
  const state = run.resolved === null ? 'unscored' : run.resolved ? 'resolved' : 'unresolved';
  const title = `attempt ${run.attempt}: ${run.status}, reward ${run.reward ?? '—'} — open in playback`;
  const attrs = { 'data-path': run.path, 'data-run': run.runId, 'aria-label': title };
  const chip = vscode
    ? el('button', { className: `run ${state}`, title, attrs: { ...attrs, type: 'button' } }, [mark])
    : el(
        'a',
        { className: `run ${state}`, title, attrs: { ...attrs, href: PLAYBACK_LINK + encodeURIComponent(run.path) } },
        [mark],
      );
  if (vscode) chip.addEventListener('click', () => vscode.postMessage({ type: 'openRun', path: run.path }));
  return chip;
}

function matrix(report: Report): HTMLElement {
  const header = ['task', 'dataset', ...report.groups.map((group) => group.label)];
  const rows = report.tasks.map((task) => [
    task.taskId,
    task.dataset,
    ...report.groups.map((group) => {
      const cell = task.cells[group.key];
      if (!cell) return '—';
      const share = cell.scored ? cell.resolved / cell.scored : 0;
      const node = el('span', { className: 'cell', attrs: { 'data-group': group.key, 'data-task': task.taskId } }, [
        el('span', { className: 'count' }, [`${cell.resolved}/${cell.scored}`]),
        ...cell.runs.map(runChip),
      ]);
      node.style.setProperty('--share', String(share));
      return node;
    }),
  ]);
  return section(
    'matrix',
    'Per task: resolved attempts / scored attempts',
    el('p', { className: 'hint' }, [
      vscode
        ? 'Click an attempt (✓ resolved, ✗ not, · unscored) to open its playback.'
        : 'Each attempt links to its playback in VS Code (✓ resolved, ✗ not, · unscored).',
    ]),
    table('matrix', header, rows),
  );
}

function filterBar(report: Report, filters: LeaderboardFilters): HTMLElement {
  const select = (name: string, options: string[], selected: string, allLabel?: string) => {
    const node = el('select', { attrs: { id: `filter-${name}`, 'aria-label': name } }) as HTMLSelectElement;
    if (allLabel !== undefined) node.append(el('option', { attrs: { value: '' } }, [allLabel]));
    for (const option of options) node.append(el('option', { attrs: { value: option } }, [option]));
    node.value = selected;
    return node;
  };
  const by = select('by', ['policy', 'model', 'prompt'], filters.by);
  const dataset = select('dataset', report.facets.datasets, filters.datasets[0] ?? '', 'all datasets');
  const group = select('group', report.facets.groups, filters.groups[0] ?? '', `all (${report.by})`);
  const apply = () =>
    vscode?.postMessage({
      type: 'filter',
      filters: {
        by: by.value as LeaderboardFilters['by'],
        datasets: dataset.value ? [dataset.value] : [],
        groups: group.value && by.value === filters.by ? [group.value] : [],
      },
    });
  for (const node of [by, dataset, group]) node.addEventListener('change', apply);
  return el('div', { className: 'filters' }, [
    el('label', {}, ['group by ', by]),
    el('label', {}, ['dataset ', dataset]),
    el('label', {}, [filters.by, ' ', group]),
  ]);
}

function header(report: Report): HTMLElement {
  const generated = new Date(report.generatedAt).toLocaleString();
  return el('header', {}, [
    el('h1', {}, [vscode ? 'Leaderboard' : 'Rollout Studio report']),
    el('p', { className: 'meta' }, [
      `${report.runs} runs by ${report.by}, from ${report.sources.join(', ')}; generated ${generated}. `,
      `Intervals: 95% percentile bootstrap over tasks, ${report.bootstrap.resamples} resamples, seed ${report.bootstrap.seed}. `,
      'Every figure is defined in docs/metrics.md.',
    ]),
    report.problems.length
      ? el('p', { className: 'problems' }, [
          `${report.problems.length} malformed line(s) were skipped: `,
          report.problems
            .slice(0, 5)
            .map((problem) => `${problem.path}: ${problem.message}`)
            .join('; '),
        ])
      : null,
  ]);
}

function render(report: Report, filters?: LeaderboardFilters): void {
  while (charts.length) charts.pop()?.destroy();
  const app = document.getElementById('app')!;
  app.replaceChildren();
  app.append(header(report));
  if (vscode && filters) app.append(filterBar(report, filters));
  if (report.groups.length === 0) {
    app.append(el('p', { className: 'empty' }, ['No runs match.']));
    announceRendered(report);
    return;
  }
  const cards = [
    resolvedChart(report.groups),
    passAtKChart(report.groups),
    costChart(report.groups),
    turnsChart(report.groups),
    toolsChart(report.groups),
    roundsChart(report.groups),
  ];
  app.append(
    section('leaderboard', `Ranked by resolved rate, by ${report.by}`, leaderboard(report)),
    el('div', { className: 'charts' }, cards),
    ...[comparisons(report), categories(report)].filter((node): node is HTMLElement => node !== null),
    analytics(report),
    matrix(report),
  );
  app.setAttribute('aria-busy', 'false');
  queueMicrotask(() => announceRendered(report));
}

function announceRendered(report: Report): void {
  const chartIds = [...document.querySelectorAll<HTMLElement>('figure.chart')].map((node) => node.dataset.chart ?? '');
  document.body.dataset.rendered = 'true';
  vscode?.postMessage({
    type: 'rendered',
    groups: report.groups.map((group) => group.key),
    tasks: report.tasks.length,
    charts: chartIds,
    cells: document.querySelectorAll('.cell').length,
  });
}

function showEmpty(message: string): void {
  const app = document.getElementById('app')!;
  app.replaceChildren(el('h1', {}, ['Leaderboard']), el('p', { className: 'empty' }, [message]));
  app.setAttribute('aria-busy', 'false');
  vscode?.postMessage({ type: 'rendered', groups: [], tasks: 0, charts: [], cells: 0 });
}

if (vscode) {
  window.addEventListener('message', (event: MessageEvent<ExtensionToLeaderboard>) => {
    const message = event.data;
    if (message.type === 'load') {
      currentFilters = message.filters;
      vscode.setState(currentFilters);
      render(message.report, currentFilters);
    } else showEmpty(message.message);
  });
  vscode.postMessage({ type: 'ready' });
} else {
  const data = document.getElementById('report-data')?.textContent;
  if (data) render(JSON.parse(data) as Report);
}
