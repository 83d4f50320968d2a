import bnxt from './bnxt.json' with { type: 'json' };
import core from './core.json' with { type: 'json' };
import cxl from './cxl.json' with { type: 'json' };
import mlx5 from './mlx5.json' with { type: 'json' };
import pds from './pds.json' with { type: 'json' };

export interface DefectEntry {
  id: string;
  /** Which part of the reference driver carries the fault. */
  layer: string;
  /** Models where the fault exists or is observable; every model when absent. */
  models?: string[];
  summary: string;
  /** Policy rule ids this defect must break (and no others). */
  breaks: string[];
  /** Fails at random rather than breaking a rule: kept out of the defect gate, proves retries. */
  flaky?: boolean;
}

/** One catalog per layer, so each device model's faults live beside it as data. */
export const ALL_DEFECTS: readonly DefectEntry[] = [core, cxl, mlx5, pds, bnxt].flatMap((c) => c.defects as DefectEntry[]);

/** The defects that each break rules (the defect gate's); flaky ones are apart. */
export const DEFECTS: readonly DefectEntry[] = ALL_DEFECTS.filter((d) => !d.flaky);

const BY_ID = new Map(ALL_DEFECTS.map((d) => [d.id, d]));

export function isKnownDefect(id: string): boolean {
  return BY_ID.has(id);
}

/** The defects that can be switched on for a model. */
export function defectsFor(model: string): DefectEntry[] {
  return ALL_DEFECTS.filter((d) => !d.models || d.models.includes(model));
}

/** The set of defects switched on in one reference-driver instance. */
export class Defects {
  private readonly on: ReadonlySet<string>;
  constructor(ids: Iterable<string> = []) {
    const set = new Set(ids);
    for (const id of set) if (!BY_ID.has(id)) throw new Error(`unknown defect: ${id}`);
    this.on = set;
  }
  has(id: string): boolean {
    return this.on.has(id);
  }
  get list(): string[] {
    return [...this.on];
  }
}
