import { DryRunTarget } from './dryrun.js';
import { parseTarget } from './spec.js';
import { SAFE, type Target, type TargetOptions } from './target.js';

/**
 * Make a target from its string. Unknown kinds are a typed error, never a
 * crash. `options` carry what the user unlocked (real devices honour them;
 * a simulated kernel is thrown away, so it allows everything). Each kind is
 * loaded when first used: a dev: run never loads the reference driver or the
 * wire client, which matters where start-up is slow (the emulated VM).
 */
export async function createTarget(text: string, options: TargetOptions = SAFE): Promise<Target> {
  if (options.dryRun) {
    const real = await createTarget(text, { ...options, dryRun: false });
    const dry = new DryRunTarget(real);
    await real.dispose();
    return dry;
  }
  const made = await make(text, options);
  // `fwctl-cts mutate`: the suites see the target through a proxy that alters its answers.
  const target = options.mutation ? (await import('../mutate/proxy.js')).mutantTarget(made, options.mutation) : made;
  if (!options.abiBaseline) return target;
  const { attachBaseline, loadSnapshot } = await import('./baseline.js');
  const file = options.abiBaseline;
  const snapshot = loadSnapshot(file);
  // The baseline is the target's whatever state it starts each test from: a renewed target keeps it.
  const attach = (t: Target): Target => {
    attachBaseline(t, file, snapshot);
    const renew = t.renew?.bind(t);
    if (renew) t.renew = async (state) => attach(await renew(state));
    return t;
  };
  return attach(target);
}

async function make(text: string, options: TargetOptions): Promise<Target> {
  const spec = parseTarget(text);
  switch (spec.kind) {
    case 'sim':
      return new (await import('./sim.js')).SimTarget(spec);
    case 'exec':
      return (await import('./exec.js')).ExecTarget.create(spec, options);
    case 'dev':
      return (await import('./dev.js')).DevTarget.create(spec, options);
  }
}
