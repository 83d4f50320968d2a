import { DryRunTarget } from './dryrun.js';
import { ExecTarget } from './exec.js';
import { DevTarget } from './dev.js';
import { SimTarget } from './sim.js';
import { parseTarget } from './spec.js';
import { SAFE, type Target, type TargetOptions } from './target.js';

/**
 * Make a target from its string. Unknown kinds are a typed error, never a
 * crash. `options` carry what the user unlocked (real devices honour them;
 * a simulated kernel is thrown away, so it allows everything).
 */
export async function createTarget(text: string, options: TargetOptions = SAFE): Promise<Target> {
  if (options.dryRun) {
    const real = await createTarget(text, { ...options, dryRun: false });
    const dry = new DryRunTarget(real);
    await real.dispose();
    return dry;
  }
  const spec = parseTarget(text);
  switch (spec.kind) {
    case 'sim':
      return new SimTarget(spec);
    case 'exec':
      return ExecTarget.create(spec, options);
    case 'dev':
      return DevTarget.create(spec, options);
  }
}
