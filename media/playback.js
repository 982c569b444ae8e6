// @ts-check
// The trajectory playback view. Every string from a trajectory reaches the page through textContent
// (via el()): nothing from a trajectory is ever parsed as HTML or run as script.
/** @typedef {import('../src/extension/playback/protocol').ExtensionToWebview} ExtensionToWebview */
/** @typedef {import('../src/extension/playback/protocol').WebviewToExtension} WebviewToExtension */
/** @typedef {import('../src/extension/playback/protocol').PlaybackTurn} PlaybackTurn */
/** @typedef {import('../src/extension/playback/protocol').PlaybackResult} PlaybackResult */
/** @typedef {import('../src/extension/playback/protocol').PlaybackRun} PlaybackRun */
/** @typedef {import('../src/extension/playback/protocol').PlaybackEvent} PlaybackEvent */
/** @typedef {import('../src/extension/playback/protocol').TestOutcomes} TestOutcomes */
/** @typedef {import('../src/extension/playback/protocol').PlaybackLiveTurn} PlaybackLiveTurn */

(function () {
  // @ts-expect-error acquireVsCodeApi is injected by VS Code into webviews.
  const vscode = acquireVsCodeApi();
  /** @param {WebviewToExtension} message */
  const send = (message) => vscode.postMessage(message);

  /** @type {{ logPath: string, selected: number } | undefined} kept by VS Code across reloads of the page */
  const saved = vscode.getState();

  const ROW_HEIGHT = 26;
  const OVERSCAN = 8;

  const state = {
    /** @type {PlaybackRun | null} */ run: null,
    /** @type {PlaybackTurn[]} */ turns: [],
    /** @type {PlaybackEvent[]} */ events: [],
    /** @type {string[]} lower-cased searchable text per turn, filled lazily */ haystacks: [],
    /** @type {PlaybackResult | null} */ result: null,
    /** @type {PlaybackLiveTurn | null} the turn the model is writing now */ liveTurn: null,
    live: false,
    /** @type {string | null} */ logPath: null,
    /** @type {Map<number, { patch: string, undone: string[] }>} what each turn changed, as asked for */
    changes: new Map(),
    selected: saved?.selected ?? 0,
    query: '',
    /** @type {number[]} */ matches: [],
    renderedRows: 0,
  };

  /**
   * Creates an element; children that are strings become text nodes.
   * @param {string} tag
   * @param {{ className?: string, text?: string, title?: string, attrs?: Record<string, string> }} [props]
   * @param {(Node | string | null | undefined)[]} [children]
   */
  function el(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    if (props.className) node.className = props.className;
    if (props.text !== undefined) node.textContent = props.text;
    if (props.title) node.title = props.title;
    for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
    for (const child of children)
      if (child !== null && child !== undefined)
        node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    return node;
  }

  const app = /** @type {HTMLElement} */ (document.getElementById('app'));
  const header = el('header', { className: 'header' });
  const search = /** @type {HTMLInputElement} */ (
    el('input', {
      className: 'search',
      attrs: { type: 'search', placeholder: 'Search turns ( / )', 'aria-label': 'Search turns' },
    })
  );
  const matchCount = el('span', { className: 'match-count', attrs: { 'aria-live': 'polite' } });
  const chart = el('div', { className: 'chart', attrs: { role: 'group', 'aria-label': 'Reward' } });
  // The turn list is one tab stop, a listbox whose selected option is its aria-activedescendant: arrow keys,
  // Page Up/Down, Home and End move the selection while the list has focus, and only then.
  const list = el('div', { className: 'timeline', attrs: { role: 'listbox', tabindex: '0', 'aria-label': 'Turns' } });
  const spacer = el('div', { className: 'timeline-spacer' });
  const rows = el('div', { className: 'timeline-rows' });
  list.append(spacer, rows);
  const detail = el('section', { className: 'detail', attrs: { 'aria-label': 'Selected turn' } });
  // A tab stop of its own, so that the keyboard scrolls the selected turn's text (the arrow keys stay here).
  const detailColumn = el('div', {
    className: 'detail-column',
    attrs: { tabindex: '0', role: 'region', 'aria-label': 'Turn details' },
  });
  const liveTurn = el('section', {
    className: 'live-turn',
    attrs: { 'aria-label': 'Turn in progress', 'aria-live': 'off' },
  });
  const report = el('section', { className: 'report', attrs: { 'aria-label': 'Final report' } });
  app.append(
    header,
    el('div', { className: 'toolbar' }, [search, matchCount]),
    chart,
    el('div', { className: 'main' }, [list, detailColumn]),
  );
  detailColumn.append(liveTurn, detail, report);
  app.removeAttribute('aria-busy');

  // ---- rendering -------------------------------------------------------------------------------

  function renderHeader() {
    const run = state.run;
    header.replaceChildren();
    if (!run) return;
    const result = state.result;
    const status = result ? result.exitStatus : state.live ? 'running' : 'unfinished';
    const outcome = result ? rewardOutcome(result) : null;
    const started = new Date(run.startedAt);
    header.append(
      el('h1', { text: run.taskId }),
      el('span', {
        className: `badge status-${status}${outcome ? ` outcome-${outcome.kind}` : ''}`,
        text: outcome ? `${outcome.mark} ${status} · ${outcome.label}` : status,
        title: outcome ? `exit status ${status}; ${outcome.label}` : `exit status ${status}`,
      }),
      el('span', {
        className: 'meta',
        text: [
          run.model && !run.policy.includes(run.model) ? `${run.policy} (${run.model})` : run.policy,
          run.server ? `at ${run.server}` : '',
          `${state.turns.length} turns`,
          Number.isNaN(started.getTime())
            ? ''
            : `started ${started.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}`,
        ]
          .filter(Boolean)
          .join(' · '),
        title: `${run.runId}\npolicy ${run.policySpec}\nstarted ${run.startedAt}`,
      }),
    );
  }

  /**
   * How the run came out, for the badge: a mark and words as well as a colour, so that colour is never the
   * only sign. @param {PlaybackResult} result
   */
  function rewardOutcome(result) {
    if (result.reward === null) return { kind: 'unscored', mark: '–', label: 'not scored' };
    const label = `reward ${formatNumber(result.reward)}${result.resolved ? ' · resolved' : ''}`;
    if (result.resolved || result.reward >= 1) return { kind: 'pass', mark: '✓', label };
    if (result.reward <= 0) return { kind: 'fail', mark: '✗', label };
    return { kind: 'partial', mark: '◐', label };
  }

  /** The events shown before turn `index` (for the last turn, also those after it). @param {number} index */
  function eventsBefore(index) {
    const last = index === state.turns.length - 1;
    return state.events.filter((event) => event.afterTurn === index || (last && event.afterTurn > index));
  }

  /** Renders only the rows in view: the list stays smooth however many turns there are. */
  function renderRows() {
    spacer.style.height = `${state.turns.length * ROW_HEIGHT}px`;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(state.turns.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const matched = new Set(state.matches);
    const fragment = document.createDocumentFragment();
    for (let index = first; index < last; index++) fragment.append(row(state.turns[index], matched.has(index)));
    rows.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    rows.replaceChildren(fragment);
    state.renderedRows = last - first;
    // Only an option in the DOM can be the active descendant (the list is virtualised; select() scrolls to it).
    if (state.selected >= first && state.selected < last)
      list.setAttribute('aria-activedescendant', optionId(state.selected));
    else list.removeAttribute('aria-activedescendant');
  }

  /** @param {PlaybackTurn} turn @param {boolean} matched */
  function row(turn, matched) {
    const selected = turn.index === state.selected;
    const tools = turn.toolCalls.map((call) => call.name).join(', ') || (turn.message ? 'message' : '—');
    const events = eventsBefore(turn.index);
    const errored = turn.observations.some((o) => o.isError) || events.some((event) => event.isError);
    const classes = ['row', selected ? 'selected' : '', matched ? 'matched' : '', errored ? 'errored' : ''];
    const node = el(
      'div',
      {
        className: classes.filter(Boolean).join(' '),
        attrs: {
          id: optionId(turn.index),
          role: 'option',
          'aria-selected': String(selected),
          // Only the rows in view exist: the set's size and each row's place are told outright.
          'aria-setsize': String(state.turns.length),
          'aria-posinset': String(turn.index + 1),
          'data-index': String(turn.index),
        },
      },
      [
        el('span', { className: 'row-index', text: String(turn.index) }),
        turn.startsRound !== undefined
          ? el('span', {
              className: 'row-round',
              text: `R${turn.startsRound}`,
              title: `Round ${turn.startsRound} starts here: ${speakerName(turn.prompts.find((p) => p.speaker)?.speaker)} spoke`,
            })
          : null,
        el('span', { className: 'row-tools', text: tools }),
        // An error is marked by a sign and words, not by colour alone.
        errored
          ? el('span', { className: 'row-error', text: '⚠', title: errorSummary(turn, events) }, [
              el('span', { className: 'visually-hidden', text: ' error' }),
            ])
          : events.length
            ? el('span', { className: 'row-event', text: '•', title: events.map((event) => event.summary).join('\n') })
            : null,
        turn.changedPaths.length
          ? el('span', { className: 'row-diff', text: '±', title: `This turn changed ${turn.changedPaths.join(', ')}` })
          : null,
        turn.reward !== null ? el('span', { className: 'row-reward', text: formatNumber(turn.reward) }) : null,
      ],
    );
    node.addEventListener('click', () => select(turn.index));
    return node;
  }

  /** @param {number} index */
  function optionId(index) {
    return `turn-${index}`;
  }

  /** What went wrong in a turn, for its row's error mark. @param {PlaybackTurn} turn @param {PlaybackEvent[]} events */
  function errorSummary(turn, events) {
    return [
      ...turn.observations.filter((o) => o.isError).map((o) => `Error from ${o.tool}`),
      ...events.map((event) => `${event.isError ? 'Error · ' : ''}${event.summary}`),
    ].join('\n');
  }

  function renderDetail() {
    const turn = state.turns[state.selected];
    detail.replaceChildren();
    if (!turn) {
      detail.append(
        el('p', {
          className: 'empty',
          text: state.live ? 'Waiting for the first turn…' : 'This trajectory has no turns.',
        }),
      );
      return;
    }
    const openDiff = /** @type {HTMLButtonElement} */ (
      el('button', {
        className: 'open-diff',
        text: 'Open diff',
        title: 'Show this turn’s change in the diff editor (d)',
      })
    );
    openDiff.disabled = !turn.patchRecorded;
    openDiff.addEventListener('click', () => send({ type: 'openDiff', turnIndex: turn.index }));
    detail.append(
      el('div', { className: 'detail-head' }, [
        el('h2', { text: `Turn ${turn.index}` }),
        turn.durationMs !== undefined
          ? el('span', { className: 'meta', text: `${(turn.durationMs / 1000).toFixed(1)} s` })
          : null,
        turn.reward !== null ? el('span', { className: 'meta', text: `reward ${formatNumber(turn.reward)}` }) : null,
        openDiff,
      ]),
    );
    for (const event of eventsBefore(turn.index)) {
      const where = event.afterTurn > turn.index ? 'After this turn' : 'Before this turn';
      detail.append(
        el('details', { className: event.isError ? 'event event-error' : 'event' }, [
          el('summary', { text: `${where} · ${event.isError ? 'Error · ' : ''}${event.summary}` }),
          event.detail ? el('pre', { text: event.detail }) : null,
        ]),
      );
    }
    for (const prompt of turn.prompts) {
      // A reply or feedback the protocol wrote is shown open and named; the task's own prompts stay folded.
      detail.append(
        prompt.speaker
          ? block(promptLabel(prompt), el('pre', { className: `message ${prompt.speaker}`, text: prompt.text }))
          : el('details', { className: 'prompt' }, [
              el('summary', { text: promptLabel(prompt) }),
              el('pre', { text: prompt.text }),
            ]),
      );
    }
    if (turn.message) detail.append(block('Model message', el('pre', { className: 'message', text: turn.message })));
    for (const call of turn.toolCalls)
      detail.append(
        block(`Tool call: ${call.name}`, el('pre', { className: 'arguments', text: prettyJson(call.arguments) })),
      );
    for (const observation of turn.observations) {
      const title = `${observation.isError ? '⚠ Error · ' : ''}Observation: ${observation.tool}${observation.exitCode !== undefined ? ` (exit ${observation.exitCode})` : ''}${observation.truncated ? ' · truncated' : ''}`;
      detail.append(
        block(
          title,
          el('pre', { className: observation.isError ? 'observation error' : 'observation', text: observation.output }),
        ),
      );
    }
    if (turn.changedPaths.length) detail.append(block('Files this turn changed', turnChangeView(turn)));
  }

  /**
   * What the turn changed: its files' part of the work tree's patch after it. Patches are not part of the first
   * load (a long run's cumulative patches are megabytes): the extension sends one turn's when it is shown.
   * @param {PlaybackTurn} turn
   */
  function turnChangeView(turn) {
    const change = state.changes.get(turn.index);
    if (!change) {
      send({ type: 'showTurnChange', turnIndex: turn.index });
      return el('p', { className: 'meta', text: `Loading the change to ${turn.changedPaths.join(', ')}…` });
    }
    return el('div', {}, [
      change.undone.length ? el('p', { className: 'meta', text: `Changes undone: ${change.undone.join(', ')}` }) : null,
      change.patch ? diffView(change.patch) : null,
    ]);
  }

  /** The turn in progress as far as the model has written it (and its calls' output as they run). */
  function renderLiveTurn() {
    const live = state.liveTurn;
    liveTurn.replaceChildren();
    liveTurn.hidden = !live;
    if (!live) return;
    liveTurn.append(
      el('div', { className: 'detail-head' }, [
        el('h2', { text: `Turn ${live.index}` }),
        el('span', { className: 'badge status-running', text: live.phase === 'model' ? 'writing' : 'running tools' }),
      ]),
    );
    if (live.reasoning)
      liveTurn.append(
        el('details', { className: 'prompt' }, [
          el('summary', { text: 'reasoning' }),
          el('pre', { text: live.reasoning }),
        ]),
      );
    if (live.message) liveTurn.append(block('Model message', el('pre', { className: 'message', text: live.message })));
    for (const call of live.toolCalls)
      liveTurn.append(
        block(`Tool call: ${call.name || '…'}`, el('pre', { className: 'arguments', text: call.arguments })),
      );
    for (const output of live.outputs)
      liveTurn.append(
        block(`Output so far: ${output.tool}`, el('pre', { className: 'observation', text: output.output })),
      );
  }

  /** @param {string} title @param {HTMLElement} body */
  function block(title, body) {
    return el('div', { className: 'block' }, [el('h3', { text: title }), body]);
  }

  /** @param {string} patch */
  function diffView(patch) {
    const pre = el('pre', { className: 'diff' });
    for (const line of patch.split('\n')) {
      const kind =
        line.startsWith('+++') || line.startsWith('---')
          ? 'file'
          : line.startsWith('+')
            ? 'add'
            : line.startsWith('-')
              ? 'del'
              : line.startsWith('@@')
                ? 'hunk'
                : 'ctx';
      pre.append(el('span', { className: `diff-${kind}`, text: `${line}\n` }));
    }
    return pre;
  }

  /**
   * Reward over turns, the running sum of each turn's reward (weighed from its signals), beside the run's final
   * reward. The two are different quantities, so each has its own plot and axis: the final reward is never
   * read against the turns' scale.
   */
  function renderChart() {
    chart.replaceChildren();
    const values = [];
    let sum = 0;
    for (const turn of state.turns) {
      sum += turn.reward ?? 0;
      values.push(sum);
    }
    const final = state.result?.reward ?? null;
    if (!values.some((value) => value !== 0) && final === null) {
      chart.append(el('span', { className: 'meta', text: 'No reward signals recorded yet.' }));
      return;
    }
    chart.append(turnRewardPlot(values));
    if (final !== null) chart.append(finalRewardPlot(final));
  }

  /** @param {number[]} values the cumulative turn reward after each turn */
  function turnRewardPlot(values) {
    const width = 600;
    const height = 80;
    const min = Math.min(0, ...values);
    const max = Math.max(min + 1e-9, ...values);
    const x = (/** @type {number} */ i) => (values.length <= 1 ? 0 : (i / (values.length - 1)) * width);
    const y = (/** @type {number} */ v) => height - 4 - ((v - min) / (max - min)) * (height - 8);
    const svg = svgEl('svg', {
      viewBox: `0 0 ${width} ${height}`,
      preserveAspectRatio: 'none',
      class: 'chart-svg',
      'aria-hidden': 'true',
    });
    svg.append(svgEl('line', { x1: '0', x2: String(width), y1: String(y(0)), y2: String(y(0)), class: 'chart-axis' }));
    svg.append(svgEl('polyline', { points: values.map((v, i) => `${x(i)},${y(v)}`).join(' '), class: 'chart-line' }));
    const selectedX = String(x(state.selected));
    svg.append(svgEl('line', { x1: selectedX, x2: selectedX, y1: '0', y2: String(height), class: 'chart-cursor' }));
    const last = values.at(-1) ?? 0;
    return el('figure', { className: 'chart-plot chart-turns' }, [
      el('div', { className: 'chart-scale', attrs: { 'aria-hidden': 'true' } }, [
        el('span', { text: formatNumber(max) }),
        el('span', { text: formatNumber(min) }),
      ]),
      svg,
      el('figcaption', {
        className: 'meta',
        text: `Cumulative turn reward: ${formatNumber(last)} after ${values.length} turns (axis ${formatNumber(min)} to ${formatNumber(max)})`,
      }),
    ]);
  }

  /** @param {number} final the run's reward, on its own axis from 0 to 1 (or to the reward, if above 1) */
  function finalRewardPlot(final) {
    const height = 80;
    const min = Math.min(0, final);
    const max = Math.max(1, final);
    const y = (/** @type {number} */ v) => height - 4 - ((v - min) / (max - min)) * (height - 8);
    const svg = svgEl('svg', {
      viewBox: `0 0 24 ${height}`,
      preserveAspectRatio: 'none',
      class: 'chart-svg',
      'aria-hidden': 'true',
    });
    const top = Math.min(y(final), y(0));
    svg.append(
      svgEl('rect', {
        x: '4',
        width: '16',
        y: String(top),
        height: String(Math.abs(y(0) - y(final))),
        class: 'chart-final',
      }),
      svgEl('line', { x1: '0', x2: '24', y1: String(y(0)), y2: String(y(0)), class: 'chart-axis' }),
    );
    return el('figure', { className: 'chart-plot chart-final-reward' }, [
      el('div', { className: 'chart-scale', attrs: { 'aria-hidden': 'true' } }, [
        el('span', { text: formatNumber(max) }),
        el('span', { text: formatNumber(min) }),
      ]),
      svg,
      el('figcaption', { className: 'meta', text: `Final reward: ${formatNumber(final)}` }),
    ]);
  }

  /** @param {string} tag @param {Record<string, string>} attrs */
  function svgEl(tag, attrs) {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    return node;
  }

  /** @param {string | undefined} speaker */
  function speakerName(speaker) {
    return (
      { simulated_user: 'Simulated user', test_feedback: 'Test feedback', model_feedback: 'Model feedback' }[
        speaker ?? ''
      ] ??
      speaker ??
      'the protocol'
    );
  }

  /** @param {import('../src/extension/playback/protocol').PlaybackPrompt} prompt */
  function promptLabel(prompt) {
    if (!prompt.speaker) return `${prompt.role} message`;
    return `${speakerName(prompt.speaker)}${prompt.round !== undefined ? ` · after round ${prompt.round}` : ''}`;
  }

  function renderReport() {
    report.replaceChildren();
    const result = state.result;
    if (!result) return;
    report.append(
      el('h2', { text: 'Final report' }),
      el('p', {
        text: `exit: ${result.exitStatus} · reward: ${result.reward === null ? 'not computed' : formatNumber(result.reward)}${result.resolved === undefined ? '' : result.resolved ? ' · resolved' : ' · not resolved'}`,
      }),
    );
    if (result.rounds)
      report.append(
        el('p', {
          className: 'rounds',
          text: `Rounds: ${result.rounds.map((r) => `${r.round}: ${r.reward === null ? '—' : formatNumber(r.reward)}${r.resolved ? ' (resolved)' : ''}`).join(' · ')}`,
        }),
      );
    if (result.judge) {
      const { verdict, reply, userRounds, finalStatus } = result.judge;
      report.append(
        el('h3', {
          text: `Judge verdict: ${verdict ?? 'none named'}${userRounds !== undefined ? ` · after ${userRounds} user repl${userRounds === 1 ? 'y' : 'ies'}` : ''}${finalStatus ? ` · ${finalStatus}` : ''}`,
        }),
        el('details', { className: 'prompt' }, [el('summary', { text: 'Judge' }), el('pre', { text: reply })]),
      );
    }
    if (result.error)
      report.append(block('⚠ Error', el('pre', { className: 'observation error', text: result.error })));
    if (result.totals) {
      const t = result.totals;
      report.append(
        el('p', {
          className: 'meta',
          text: [
            `${t.turns} turns`,
            t.tokensIn === null ? 'tokens not recorded' : `${t.tokensIn} tokens in · ${t.tokensOut} out`,
            t.costUsd === null ? 'cost not recorded' : `$${t.costUsd.toFixed(4)}`,
            `${(t.durationMs / 1000).toFixed(1)} s`,
          ].join(' · '),
        }),
      );
    }
    for (const [name, outcomes] of /** @type {[string, TestOutcomes | undefined][]} */ ([
      ['FAIL_TO_PASS', result.failToPass],
      ['PASS_TO_PASS', result.passToPass],
    ])) {
      if (!outcomes) continue;
      const items = [
        ...outcomes.success.map((test) => el('li', { className: 'test-pass', text: `✓ ${test}` })),
        ...outcomes.failure.map((test) => el('li', { className: 'test-fail', text: `✗ ${test}` })),
      ];
      report.append(
        el('h3', { text: `${name}: ${outcomes.success.length} passed, ${outcomes.failure.length} failed` }),
        el('ul', { className: 'tests' }, items),
      );
    }
  }

  let renderQueued = false;
  function render() {
    if (state.logPath) vscode.setState({ logPath: state.logPath, selected: state.selected });
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      renderHeader();
      renderRows();
      renderLiveTurn();
      renderDetail();
      renderChart();
      renderReport();
      matchCount.textContent = state.query ? `${state.matches.length} matching turns` : '';
      send({
        type: 'rendered',
        turnCount: state.turns.length,
        selectedTurn: state.selected,
        renderedRows: state.renderedRows,
        activeDescendant: list.getAttribute('aria-activedescendant') ?? '',
        matches: state.matches.length,
        events: state.events.length,
        header: header.textContent ?? '',
        outcome: state.result ? `outcome-${rewardOutcome(state.result).kind}` : '',
        speakers: [...new Set(state.turns.flatMap((turn) => turn.prompts.filter((p) => p.speaker).map(promptLabel)))],
        report: report.textContent ?? '',
        detail: detail.textContent ?? '',
        chart: Array.from(chart.querySelectorAll('figcaption'), (caption) => caption.textContent ?? ''),
      });
    });
  }

  // ---- navigation and search -------------------------------------------------------------------

  /** @param {number} index */
  function select(index) {
    if (state.turns.length === 0) return;
    state.selected = Math.max(0, Math.min(state.turns.length - 1, index));
    spacer.style.height = `${state.turns.length * ROW_HEIGHT}px`;
    const top = state.selected * ROW_HEIGHT;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight)
      list.scrollTop = top + ROW_HEIGHT - list.clientHeight;
    render();
  }

  /** @param {number} index */
  function haystack(index) {
    if (state.haystacks[index] === undefined) {
      const turn = state.turns[index];
      state.haystacks[index] = [
        turn.message ?? '',
        ...turn.prompts.map((p) => p.text),
        ...turn.toolCalls.flatMap((c) => [c.name, c.arguments]),
        ...turn.observations.map((o) => o.output),
      ]
        .join('\n')
        .toLowerCase();
    }
    return state.haystacks[index];
  }

  function updateMatches() {
    const query = state.query.toLowerCase();
    state.matches = query ? state.turns.map((_, i) => i).filter((i) => haystack(i).includes(query)) : [];
  }

  /** @param {1 | -1} direction */
  function jumpToMatch(direction) {
    if (state.matches.length === 0) return;
    const next =
      direction > 0
        ? (state.matches.find((i) => i > state.selected) ?? state.matches[0])
        : ([...state.matches].reverse().find((i) => i < state.selected) ?? state.matches[state.matches.length - 1]);
    select(next);
  }

  search.addEventListener('input', () => {
    state.query = search.value;
    updateMatches();
    if (state.matches.length && !state.matches.includes(state.selected)) select(state.matches[0]);
    else render();
  });
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') jumpToMatch(event.shiftKey ? -1 : 1);
    if (event.key === 'Escape') list.focus();
  });
  list.addEventListener('scroll', () => renderRows());
  window.addEventListener('resize', () => renderRows());

  /** Keys that move the selection: the list's own, so that elsewhere (the detail pane) they scroll. */
  /** @type {Record<string, () => void>} */
  const listKeys = {
    ArrowDown: () => select(state.selected + 1),
    j: () => select(state.selected + 1),
    ArrowUp: () => select(state.selected - 1),
    k: () => select(state.selected - 1),
    PageDown: () => select(state.selected + pageSize()),
    PageUp: () => select(state.selected - pageSize()),
    Home: () => select(0),
    End: () => select(state.turns.length - 1),
  };
  /** Keys of the whole page (but the search box). */
  /** @type {Record<string, () => void>} */
  const pageKeys = {
    n: () => jumpToMatch(1),
    N: () => jumpToMatch(-1),
    '/': () => search.focus(),
    d: () => state.turns[state.selected]?.patchRecorded && send({ type: 'openDiff', turnIndex: state.selected }),
  };

  /** The rows that fit in the list's height. */
  function pageSize() {
    return Math.max(1, Math.floor(list.clientHeight / ROW_HEIGHT) - 1);
  }

  document.addEventListener('keydown', (event) => {
    if (event.target === search) return;
    const modified = event.ctrlKey || event.metaKey || event.altKey;
    const action =
      (event.ctrlKey || event.metaKey) && event.key === 'f'
        ? pageKeys['/']
        : modified
          ? undefined
          : ((event.target === list ? listKeys[event.key] : undefined) ?? pageKeys[event.key]);
    if (!action) return;
    event.preventDefault();
    action();
  });

  /**
   * The keyboard starts in the turn list, unless the page's focus is already somewhere of its own. Only while the
   * page has focus: a page that loads in the background (a live run's playback opening) must not take the focus
   * from what the user is typing in, such as the command palette, which closes when it loses it.
   */
  function takeKeyboardIntoList() {
    if (document.hasFocus() && document.activeElement === document.body) list.focus({ preventScroll: true });
  }
  window.addEventListener('focus', takeKeyboardIntoList);

  // ---- messages from the extension -------------------------------------------------------------

  window.addEventListener('message', (/** @type {MessageEvent<ExtensionToWebview>} */ event) => {
    const message = event.data;
    switch (message.type) {
      case 'load':
        state.run = message.run;
        state.logPath = message.logPath;
        if (message.selectTurn !== undefined) state.selected = message.selectTurn;
        state.changes.clear();
        state.turns = message.turns;
        state.events = message.events;
        state.haystacks = [];
        state.result = message.result;
        state.live = message.live;
        // The selection kept across a reload of the page (or the panel's) is shown in view.
        select(Math.min(state.selected, Math.max(0, state.turns.length - 1)));
        takeKeyboardIntoList();
        break;
      case 'appendTurns': {
        const followTail = state.selected >= state.turns.length - 1;
        state.turns = state.turns.concat(message.turns);
        state.events = state.events.concat(message.events);
        if (followTail) state.selected = state.turns.length - 1;
        break;
      }
      case 'finished':
        state.result = message.result;
        state.live = false;
        state.liveTurn = null;
        break;
      case 'liveTurn':
        state.liveTurn = message.turn;
        break;
      case 'turnChange':
        state.changes.set(message.turnIndex, { patch: message.patch, undone: message.undone });
        if (message.turnIndex !== state.selected) return;
        break;
    }
    updateMatches();
    render();
    if (followTailScroll()) list.scrollTop = list.scrollHeight;
  });

  function followTailScroll() {
    return state.live && state.selected === state.turns.length - 1;
  }

  /** @param {number} value */
  function formatNumber(value) {
    return Number.isInteger(value) ? String(value) : value.toFixed(3);
  }

  /** Pretty-prints JSON arguments; shows anything else exactly as the model wrote it. @param {string} text */
  function prettyJson(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }

  send({ type: 'ready' });
})();
