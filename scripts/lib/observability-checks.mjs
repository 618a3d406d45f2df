// The observability part of `npm run validate:deploy`: deploy/observability's Prometheus rules pass
// `promtool check rules` and their unit tests (`promtool test rules`), and the Grafana dashboard and the rules
// query only metrics the code really registers (read from the prom-client constructors in apps/ and libs/, so a
// renamed metric fails here before it blanks a panel) or Prometheus's own `up`.
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { findExecutable } from './prerequisites.mjs';
import { parseYamlDocuments } from './yaml.mjs';

const DIR = 'deploy/observability';
const RULES = 'alerts.rules.yml';
const RULE_TESTS = 'alerts.test.yml';
const DASHBOARD = 'grafana-dashboard.json';
/** Series Prometheus makes itself for every target. */
const PROMETHEUS_SERIES = ['up'];
const HISTOGRAM_SERIES = ['_bucket', '_count', '_sum'];

async function sourceFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !/\.(spec|e2e-spec)\.ts$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * The series names the code exports: each `new Counter|Gauge|Histogram({ name: '…' })` in apps/ and libs/ (a
 * histogram's as its _bucket, _count and _sum series), mapped to the file that registers it.
 */
export async function exportedSeries(root) {
  const series = new Map();
  for (const dir of ['apps', 'libs']) {
    for (const file of await sourceFiles(join(root, dir))) {
      const text = await readFile(file, 'utf8');
      for (const [, kind, name] of text.matchAll(/new (Counter|Gauge|Histogram)\(\{\s*name:\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'/g)) {
        for (const suffix of kind === 'Histogram' ? HISTOGRAM_SERIES : ['']) series.set(name + suffix, relative(root, file));
      }
    }
  }
  return series;
}

/**
 * Metric names a PromQL expression selects: identifiers that are not functions (followed by `(`), operators, label
 * names of grouping lists, nor inside strings, matchers or ranges.
 */
export function metricNamesIn(expr) {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, '{}').replace(/\[[^\]]*\]/g, '[]');
  const keywords = new Set([
    ...['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool'],
    // Aggregation operators, which may stand before their `by (…)` rather than their `(`.
    ...['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile'],
  ]);
  const names = new Set();
  for (const match of withoutStrings.matchAll(/(?<![\w.$:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()/g)) {
    if (!keywords.has(match[1])) names.add(match[1]);
  }
  // Grouping lists: `by (a, b)`, `without (…)`, `on (…)`, `ignoring (…)`, `group_left (…)`.
  for (const [, list] of withoutStrings.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)) {
    for (const label of list.split(',')) names.delete(label.trim());
  }
  return [...names];
}

function dashboardExpressions(dashboard) {
  const expressions = [];
  const visit = (panels) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) if (target.expr) expressions.push({ where: `panel "${panel.title}"`, expr: target.expr });
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  return expressions;
}

export async function checkObservability({ root, check }) {
  const dir = join(root, DIR);
  const promtool = findExecutable('promtool');
  if (!promtool) {
    check(`${DIR}: promtool`, 'promtool is not installed. Debian: apt-get install -y prometheus (ships /usr/bin/promtool; the service need not run)');
  } else {
    const run = (args) => spawnSync(promtool, args, { cwd: dir, encoding: 'utf8' });
    const checked = run(['check', 'rules', RULES]);
    check(`${DIR}/${RULES}: promtool check rules`, checked.status === 0 ? undefined : `${checked.stdout}${checked.stderr}`.trim());
    const tested = run(['test', 'rules', RULE_TESTS]);
    check(`${DIR}/${RULE_TESTS}: promtool test rules`, tested.status === 0 ? undefined : `${tested.stdout}${tested.stderr}`.trim());
  }

  const exported = await exportedSeries(root);
  const known = (name) => exported.has(name) || PROMETHEUS_SERIES.includes(name);
  check(
    'apps/ and libs/: every metric is named sessionwire_*',
    [...exported].filter(([name]) => !name.startsWith('sessionwire_')).map(([name, file]) => `${name} (${file})`).join(', ') || undefined,
  );

  let dashboard;
  try {
    dashboard = JSON.parse(await readFile(join(dir, DASHBOARD), 'utf8'));
  } catch (error) {
    check(`${DIR}/${DASHBOARD}: JSON`, error.message);
  }
  if (dashboard) {
    const expressions = dashboardExpressions(dashboard);
    check(`${DIR}/${DASHBOARD}: has panels with queries`, expressions.length > 0 ? undefined : 'no panel has a Prometheus query');
    const unknown = expressions.flatMap(({ where, expr }) => metricNamesIn(expr).filter((name) => !known(name)).map((name) => `${where}: ${name}`));
    check(`${DIR}/${DASHBOARD}: queries only metrics the code exports`, unknown.length === 0 ? undefined : unknown.join('\n'));
    const used = new Set(expressions.flatMap(({ expr }) => metricNamesIn(expr)));
    const unshown = [...new Set([...exported.keys()].map((name) => name.replace(/_(bucket|count|sum)$/, '')))].filter(
      (name) => !HISTOGRAM_SERIES.concat('').some((suffix) => used.has(name + suffix)),
    );
    check(`${DIR}/${DASHBOARD}: shows every sessionwire metric`, unshown.length === 0 ? undefined : `not on any panel: ${unshown.join(', ')}`);
  }

  const [rules] = parseYamlDocuments(await readFile(join(dir, RULES), 'utf8')) ?? [];
  const ruleExpressions = (rules?.groups ?? []).flatMap((group) => group.rules.map((rule) => ({ where: `rule ${rule.alert ?? rule.record}`, expr: String(rule.expr) })));
  const unknownInRules = ruleExpressions.flatMap(({ where, expr }) => metricNamesIn(expr).filter((name) => !known(name)).map((name) => `${where}: ${name}`));
  check(`${DIR}/${RULES}: queries only metrics the code exports`, unknownInRules.length === 0 ? undefined : unknownInRules.join('\n'));
}
