/* Generated from schemas/config.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * fwctl-cts.config.json: options for every run from this directory (--config names another file).
 */
export interface Config {
  $schema?: string;
  /**
   * Plugins to load: directories (relative to this file) or npm package names.
   */
  plugins?: string[];
}
