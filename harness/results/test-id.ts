/**
 * Machine-safe test ids (issue #12): `[A-Za-z0-9_.-]`, unique within a target, stable across
 * runs and versions. A test's id is its rule id, plus a variant (the command, the ioctl, the
 * probe) when one rule has several tests. Dots separate the parts, so an id is also a KCIDB test
 * path (`^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$`) and a LAVA test_case_id (no white space).
 */

/** One path component: every other character becomes '-', '.' included (it separates parts). */
export function idPart(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || '_';
}

/** A rule id (already dotted, e.g. `uapi.rpc.max-len`) plus an optional variant. */
export function testId(rule: string, variant?: string): string {
  const base = rule.split('.').map(idPart).join('.');
  return variant === undefined ? base : `${base}.${idPart(variant)}`;
}

export const TEST_ID = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Make the ids of one suite unique: tests that share an id without a declared variant get their
 * claim as the variant (stable as long as the claim is), and any that still collide a counter.
 */
export function uniqueIds(tests: readonly { id: string; claim: string }[]): string[] {
  const count = new Map<string, number>();
  for (const t of tests) count.set(t.id, (count.get(t.id) ?? 0) + 1);
  const seen = new Map<string, number>();
  return tests.map((t) => {
    let id = count.get(t.id)! > 1 ? `${t.id}.${idPart(t.claim)}` : t.id;
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    if (n > 1) id = `${id}-${n}`;
    return id;
  });
}
