/**
 * The reference driver's models by name, with their firmware versions, read from
 * each device's firmware.json without loading any device: all that parsing a
 * `sim:` target needs (harness/targets/spec.ts), which every process of a run
 * does, those in the emulated VM too, where loading the five models costs
 * seconds. MODELS (models.ts) is the whole of each; a test holds the two equal.
 */
import bnxt from './devices/bnxt/firmware.json' with { type: 'json' };
import cxl from './devices/cxl/firmware.json' with { type: 'json' };
import mlx5 from './devices/mlx5/firmware.json' with { type: 'json' };
import pds from './devices/pds/firmware.json' with { type: 'json' };

/** Model name as spelled in targets → firmware versions, oldest first (the last is the default); MODELS' order. */
export const MODEL_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  cxl: Object.keys(cxl.versions),
  mlx5: Object.keys(mlx5.versions),
  // The same device and firmware as mlx5, with the fwctl driver as merged for 7.3.
  'mlx5-7-3': Object.keys(mlx5.versions),
  pds: Object.keys(pds.versions),
  bnxt: Object.keys(bnxt.versions),
};

/** The firmware versions of the model named `name`, if there is one (own keys only: not `__proto__`). */
export function modelVersions(name: string): readonly string[] | undefined {
  return Object.hasOwn(MODEL_VERSIONS, name) ? MODEL_VERSIONS[name] : undefined;
}
