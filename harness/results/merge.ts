/**
 * `fwctl-cts merge`: shard reports (or any reports of one plan) into the report of the whole run
 * (issue #12). Verdicts are recomputed from the tests under the recorded policy, so the merge of
 * shards 1/n..n/n equals the unsharded run apart from timings.
 */
import type { Report, TargetEntry } from '../generated/report.js';
import { CtsError } from '../errors.js';
import { loadPolicy, reportedPolicy } from '../policy/policy.js';
import type { TestResult } from '../runner/types.js';
import { loadJson } from '../schema/validate.js';
import { assembleReport } from './report.js';

export function loadReport(file: string): Report {
  return loadJson<Report>(file, 'report');
}

export function mergeReports(inputs: readonly { file: string; report: Report }[]): Report {
  if (inputs.length === 0) throw new CtsError('CTS_E_USAGE', 'merge: no reports given');
  const [first] = inputs as [{ file: string; report: Report }];
  for (const { file, report } of inputs) {
    const p = report.policy;
    if (p.id !== first.report.policy.id || p.version !== first.report.policy.version) {
      throw new CtsError('CTS_E_USAGE', `${file}: policy ${p.id} ${p.version}, but ${first.file} has ${first.report.policy.id} ${first.report.policy.version}: reports of different runs`);
    }
  }
  // Every shard plans every target; each keeps the errors it saw.
  const targets = new Map<string, TargetEntry>();
  for (const { report } of inputs) {
    for (const t of report.targets) {
      const seen = targets.get(t.spec);
      targets.set(t.spec, seen ? { ...seen, ...t, errors: [...new Set([...seen.errors, ...t.errors])] } : { ...t });
    }
  }
  const tests = new Map<string, TestResult>();
  for (const { file, report } of inputs) {
    for (const t of report.tests) {
      const key = `${t.target}|${t.id}`;
      if (tests.has(key)) throw new CtsError('CTS_E_USAGE', `${file}: test ${t.id} on ${t.target} is in two of the reports: overlapping shards or the same report twice`);
      tests.set(key, t as TestResult);
    }
  }
  const shards = inputs.map(({ report }) => report.run.shard).filter((s): s is string => s !== undefined);
  const counts = new Set(shards.map((s) => s.split('/')[1]));
  const complete = shards.length === inputs.length && counts.size === 1 && new Set(shards).size === Number([...counts][0]);
  if (shards.length && !complete) {
    throw new CtsError('CTS_E_USAGE', `merge: shards ${shards.join(', ')} do not make a whole run (every k/n once, for one n)`);
  }
  const selections = inputs.map(({ report }) => JSON.stringify(report.run.selection ?? null));
  if (new Set(selections).size > 1) throw new CtsError('CTS_E_USAGE', 'merge: the reports select different subsets (--suite, --test, --exclude)');
  const order = [...tests.values()].sort((a, b) => (a.target === b.target ? 0 : [...targets.keys()].indexOf(a.target) - [...targets.keys()].indexOf(b.target)));
  const planned = new Set(order.flatMap((t) => t.rules.map((r) => `${t.target}|${r}`)));
  // The unlocked flags and the plugins decide what ran and how: the shards must agree on both, and the whole run keeps them.
  const same = (what: string, pick: (r: Report) => unknown) => {
    const seen = new Set(inputs.map(({ report }) => JSON.stringify(pick(report) ?? null)));
    if (seen.size > 1) throw new CtsError('CTS_E_USAGE', `merge: the reports were run with different ${what}`);
  };
  same('--allow flags (run.allow)', (r) => r.run.allow);
  same('plugins (name, version, digest)', (r) => r.plugins);
  const policy = loadPolicy(reportedPolicy(first.report.policy));
  const startedAt = new Date(Math.min(...inputs.map(({ report }) => Date.parse(report.run.startedAt))));
  const finishedAt = new Date(Math.max(...inputs.map(({ report }) => Date.parse(report.run.finishedAt))));
  const expectations = inputs.map(({ report }) => report.expectations).find(Boolean);
  const merged = assembleReport(policy, [...targets.values()], planned, order, {
    startedAt,
    finishedAt,
    workers: Math.max(...inputs.map(({ report }) => report.run.workers)),
    ...(first.report.run.selection && { selection: first.report.run.selection }),
    ...(expectations && { expectations }),
    ...(first.report.run.allow && { allow: first.report.run.allow }),
  });
  merged.run.host = first.report.run.host;
  if (first.report.plugins) merged.plugins = first.report.plugins;
  else delete merged.plugins;
  return merged;
}
