/* Generated from schemas/bundle.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * This interface was referenced by `BundleManifest`'s JSON-Schema
 * via the `definition` "Sha256".
 */
export type Sha256 = string;

/**
 * manifest.json of a certification bundle (fwctl-cts certify): the SHA-256 of every other file in the bundle directory, and what the run was. `fwctl-cts verify` recomputes the digests and the verdicts; manifest.json.sig (ssh-keygen -Y sign, namespace fwctl-cts) signs this file.
 */
export interface BundleManifest {
  format: "fwctl-cts-bundle/1";
  tool: {
    name: string;
    version: string;
  };
  createdAt: string;
  /**
   * The policy pack the run was judged under (its copy is policy.json).
   */
  policy: {
    id: string;
    version: string;
    sha256: Sha256;
  };
  targets: string[];
  verdict: "compliant" | "non-compliant" | "incomplete";
  exitCode: number;
  files: BundleFile[];
}
/**
 * This interface was referenced by `BundleManifest`'s JSON-Schema
 * via the `definition` "BundleFile".
 */
export interface BundleFile {
  /**
   * A plain file name in the bundle directory.
   */
  name: string;
  sha256: Sha256;
  bytes: number;
}
