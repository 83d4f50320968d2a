import catalog from './catalog.json' with { type: 'json' };

export interface DefectEntry {
  id: string;
  /** Which part of the reference driver carries the fault. */
  layer: string;
  summary: string;
  /** Policy rule ids this defect must break (and no others). */
  breaks: string[];
}

export const DEFECTS: readonly DefectEntry[] = catalog.defects;

const KNOWN = new Set(DEFECTS.map((d) => d.id));

export function isKnownDefect(id: string): boolean {
  return KNOWN.has(id);
}

/** The set of defects switched on in one reference-driver instance. */
export class Defects {
  private readonly on: ReadonlySet<string>;
  constructor(ids: Iterable<string> = []) {
    const set = new Set(ids);
    for (const id of set) if (!KNOWN.has(id)) throw new Error(`unknown defect: ${id}`);
    this.on = set;
  }
  has(id: string): boolean {
    return this.on.has(id);
  }
  get list(): string[] {
    return [...this.on];
  }
}
