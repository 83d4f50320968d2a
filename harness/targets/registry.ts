import { CtsError } from '../errors.js';
import { SimTarget } from './sim.js';
import { parseTarget } from './spec.js';
import type { Target } from './target.js';

/** Make a target from its string. Unknown kinds are a typed error, never a crash. */
export async function createTarget(text: string): Promise<Target> {
  const spec = parseTarget(text);
  switch (spec.kind) {
    case 'sim':
      return new SimTarget(spec);
    case 'exec':
    case 'dev':
      throw new CtsError('CTS_E_TARGET_SPEC', `target kind '${spec.kind}:' is not available in this version (issue #4)`);
  }
}
