// docs/alerts.yml: its shape (every rule an alert with an expression, a severity, a summary
// and a description; names unique), every scryp_ metric it names is one the node serves;
// and, where promtool is installed, `promtool check rules` and `promtool test rules` on
// input series: each alert below fires for the instance in trouble and for no other.

import { describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeMetrics } from '../src/node/metrics.ts';
import { runProgram, show } from './helpers/cli-run.ts';
import { CoreNet } from './helpers/core-net.ts';
import { root } from './helpers/processes.ts';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const file = join(root, 'docs', 'alerts.yml');
const rules = (Bun.YAML.parse(readFileSync(file, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((group) => group.rules);
const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path));

/** The metric names the node serves (families, and a histogram's _bucket/_sum/_count). */
async function servedNames(): Promise<Set<string>> {
  const net = new CoreNet(3);
  net.startAll();
  const metrics = new NodeMetrics({ network: net.network, core: net.core(0), now: () => net.now, verifyQueue: () => 0, ledgerPath: '/nonexistent' });
  const names = new Set<string>();
  for (const line of (await metrics.render()).split('\n')) {
    const match = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (match === null) continue;
    names.add(match[1]!);
    if (match[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${match[1]}${suffix}`);
  }
  return names;
}

describe('docs/alerts.yml', () => {
  test('one group of alerts, each with an expression, a severity, a summary and a description; names unique', () => {
    expect(rules.length).toBeGreaterThanOrEqual(15);
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Scryp[A-Z][A-Za-z]+$/);
      expect(typeof rule.expr).toBe('string');
      expect(['page', 'ticket']).toContain(rule.labels.severity!);
      expect(rule.annotations.summary!.length, rule.alert).toBeGreaterThan(10);
      expect(rule.annotations.description!.length, rule.alert).toBeGreaterThan(30);
      if (rule.for !== undefined) expect(rule.for).toMatch(/^[0-9]+[smh]$/);
    }
  });

  test('every scryp_ metric an alert names is one the node serves', async () => {
    const served = await servedNames();
    for (const rule of rules) {
      for (const name of rule.expr.match(/\b(?:scryp|process)_[a-z_]+/g) ?? []) expect(served.has(name), `${rule.alert}: ${name}`).toBe(true);
    }
  });

  test.skipIf(promtool === undefined)('promtool: the rules check, and each alert fires for the instance in trouble and no other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scryp-alerts-'));
    try {
      const check = await runProgram(['check', 'rules', file], { program: [promtool!] });
      expect(check.exitCode, show(check)).toBe(0);
      // The same rules without annotations: the unit tests below compare labels (the alerts'
      // texts are checked for shape above), and promtool otherwise wants them word for word.
      const bare = { groups: [{ name: 'scryp', rules: rules.map(({ annotations: _, ...rule }) => rule) }] };
      writeFileSync(join(dir, 'rules.json'), JSON.stringify(bare));
      const a = 'instance="a", job="scryp"';
      const b = 'instance="b", job="scryp"';
      const fires = (alertname: string, eval_time: string, labels: Record<string, string>[]) => ({ alertname, eval_time, exp_alerts: labels.map((exp_labels) => ({ exp_labels })) });
      const page = (extra: Record<string, string> = {}) => ({ severity: 'page', instance: 'a', job: 'scryp', ...extra });
      const ticket = (extra: Record<string, string> = {}) => ({ severity: 'ticket', instance: 'a', job: 'scryp', ...extra });
      const tests = {
        rule_files: [join(dir, 'rules.json')],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              // a: unavailable from minute 2; b: fine throughout.
              { series: `scryp_available{${a}}`, values: '1 1 0x40' },
              { series: `scryp_available{${b}}`, values: '1x42' },
              // a hears nobody; b hears both peers.
              { series: `scryp_peers_connected{${a}}`, values: '0x40' },
              { series: `scryp_peers_connected{${b}}`, values: '2x40' },
              { series: `scryp_majority{${a}}`, values: '2x40' },
              { series: `scryp_majority{${b}}`, values: '2x40' },
              // a's clock is 0.3-0.4 s off from both peers (skew 0.5); b is off from one peer only.
              { series: `scryp_clock_offset_seconds{${a}, server="1"}`, values: '0.4x40' },
              { series: `scryp_clock_offset_seconds{${a}, server="2"}`, values: '-0.3x40' },
              { series: `scryp_clock_offset_seconds{${b}, server="0"}`, values: '0.4x40' },
              { series: `scryp_clock_offset_seconds{${b}, server="2"}`, values: '0.01x40' },
              { series: `scryp_skew_seconds{${a}}`, values: '0.5x40' },
              { series: `scryp_skew_seconds{${b}}`, values: '0.5x40' },
              // a commits once a minute and server 2's vote is missing from each; server 1's never.
              { series: `scryp_periods_committed_total{${a}}`, values: '0+1x40' },
              { series: `scryp_votes_missing_total{${a}, server="1"}`, values: '0x40' },
              { series: `scryp_votes_missing_total{${a}, server="2"}`, values: '0+1x40' },
              // a's committed period stands still; b's moves.
              { series: `scryp_committed_period{${a}}`, values: '100x40' },
              { series: `scryp_committed_period{${b}}`, values: '100+30x40' },
              // a: five void periods in half an hour; b: one.
              { series: `scryp_periods_void_total{${a}}`, values: '0 0 0 0 0 1 2 3 4 5x35' },
              { series: `scryp_periods_void_total{${b}}`, values: '0x10 1x30' },
              // a has not heard server 2 for long; server 1 just now.
              { series: `scryp_peer_last_heard_periods{${a}, server="1"}`, values: '0x40' },
              { series: `scryp_peer_last_heard_periods{${a}, server="2"}`, values: '40x40' },
              // a computed another state once.
              { series: `scryp_node_events_total{${a}, event="state_differs"}`, values: '0x10 1x30' },
              { series: `scryp_node_events_total{${b}, event="committed"}`, values: '0+5x40' },
              // a restarted three times within half an hour.
              { series: `process_start_time_seconds{${a}}`, values: '1000x5 1400x5 1800x5 2100x25' },
              { series: `process_start_time_seconds{${b}}`, values: '1000x40' },
              // a's commits take 1-2.5 s (period 2 s); b's under 0.05 s.
              { series: `scryp_commit_duration_seconds_bucket{${a}, le="0.05"}`, values: '0x40' },
              { series: `scryp_commit_duration_seconds_bucket{${a}, le="1"}`, values: '0x40' },
              { series: `scryp_commit_duration_seconds_bucket{${a}, le="2.5"}`, values: '0+10x40' },
              { series: `scryp_commit_duration_seconds_bucket{${a}, le="+Inf"}`, values: '0+10x40' },
              { series: `scryp_commit_duration_seconds_bucket{${b}, le="0.05"}`, values: '0+10x40' },
              { series: `scryp_commit_duration_seconds_bucket{${b}, le="1"}`, values: '0+10x40' },
              { series: `scryp_commit_duration_seconds_bucket{${b}, le="2.5"}`, values: '0+10x40' },
              { series: `scryp_commit_duration_seconds_bucket{${b}, le="+Inf"}`, values: '0+10x40' },
              { series: `scryp_period_seconds{${a}}`, values: '2x40' },
              { series: `scryp_period_seconds{${b}}`, values: '2x40' },
            ],
            alert_rule_test: [
              fires('ScrypUnavailable', '1m', []),
              fires('ScrypUnavailable', '6m', [page()]),
              fires('ScrypQuorumAtRisk', '6m', [page()]),
              fires('ScrypClockOff', '15m', [page()]),
              fires('ScrypVotesMissing', '30m', [ticket({ server: '2' })]),
              fires('ScrypNotCommitting', '6m', []), // a is unavailable, so ScrypUnavailable speaks for it
              fires('ScrypPeriodsVoid', '20m', [ticket()]),
              fires('ScrypPeerSilent', '10m', [ticket({ server: '2' })]),
              fires('ScrypOutOfSync', '12m', [page({ event: 'state_differs' })]),
              fires('ScrypOutOfSync', '30m', []),
              fires('ScrypRestarting', '16m', []), // two restarts: not yet
              fires('ScrypRestarting', '20m', [page()]),
              fires('ScrypCommitSlow', '35m', [ticket()]),
            ],
          },
          {
            interval: '1m',
            input_series: [
              // Available, yet nothing commits: the network is stuck.
              { series: `scryp_available{${a}}`, values: '1x20' },
              { series: `scryp_committed_period{${a}}`, values: '100x20' },
              { series: `scryp_available{${b}}`, values: '1x20' },
              { series: `scryp_committed_period{${b}}`, values: '100+30x20' },
            ],
            alert_rule_test: [fires('ScrypNotCommitting', '3m', []), fires('ScrypNotCommitting', '10m', [page()])],
          },
        ],
      };
      writeFileSync(join(dir, 'tests.json'), JSON.stringify(tests));
      const run = await runProgram(['test', 'rules', join(dir, 'tests.json')], { program: [promtool!] });
      expect(run.exitCode, show(run)).toBe(0);
      expect(run.stdout).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
