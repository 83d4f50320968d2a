/** `fwctl-cts mutate`: the kill rate of the suites on a target (harness/mutate/mutate.ts, docs/mutate.md). */
import { existsSync } from 'node:fs';
import { CtsError } from '../errors.js';
import { runMutations, renderMutation, selectOperators } from '../mutate/mutate.js';
import { OPERATORS } from '../mutate/operators.js';
import { loadBaselineReport } from '../diff/load.js';
import type { MutateOutput } from '../generated/mutate.js';
import { loadPolicy } from '../policy/policy.js';
import { selectSuites } from '../run.js';
import { expandTargets, parseTarget } from '../targets/spec.js';
import type { TargetOptions } from '../targets/target.js';

export interface MutateCliOptions {
  target: string[];
  operator?: string[];
  policy: string;
  suite?: string[];
  test?: string[];
  exclude?: string[];
  workers: number;
  timeout: number;
  json?: boolean;
  list?: boolean;
  baseline?: string;
}

/** The operator catalog, one line each: id, the rule it should trip, what it does. */
export function renderOperators(): string {
  const w = Math.max(...OPERATORS.map((o) => o.id.length));
  return OPERATORS.map((o) => `${o.id.padEnd(w)}  ${o.rule}\n${' '.repeat(w + 2)}${o.description}${o.needs ? ` (needs: ${o.needs.join(', ')})` : ''}`).join('\n') + '\n';
}

export async function runMutateCli(o: MutateCliOptions, options: TargetOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<void> {
  if (o.list) {
    out.write(o.json ? `${JSON.stringify(OPERATORS.map(({ id, rule, description, needs }) => ({ id, rule, description, ...(needs && { needs }) })), null, 2)}\n` : renderOperators());
    return;
  }
  if (!o.target?.length) throw new CtsError('CTS_E_USAGE', 'mutate: --target is required');
  // Bad input fails before any run.
  loadPolicy(o.policy);
  selectOperators(o.operator);
  selectSuites(o.suite);
  const targets = expandTargets(o.target);
  for (const t of targets) {
    const spec = parseTarget(t);
    if (spec.kind === 'dev' && !existsSync(spec.path)) throw new CtsError('CTS_E_NO_DEVICE_NODE', `target '${t}': no such device node ${spec.path}`, 'fwctl-cts inventory lists the fwctl devices here');
  }
  const baseline = o.baseline === undefined ? undefined : loadBaselineReport(o.baseline);
  const reports = await runMutations({
    baseline,
    targets,
    operators: o.operator,
    policy: o.policy,
    suites: o.suite,
    tests: o.test,
    exclude: o.exclude,
    workers: o.workers,
    timeoutMs: o.timeout,
    options,
    onMutant: (m, i, n) => err.write(`fwctl-cts: mutant ${i + 1}/${n} ${m.operator}: ${m.status}\n`),
  });
  if (!o.json) for (const report of reports) out.write(`${renderMutation(report)}\n\n`);
  const output: MutateOutput = { targets: reports };
  if (o.json) out.write(`${JSON.stringify(output, null, 2)}\n`);
}
