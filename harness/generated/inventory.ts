/* Generated from schemas/inventory.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * `fwctl-cts inventory --json`: the fwctl devices of a machine (or of the targets given), the kernel's taint and release. `fwctl-cts diff` compares two.
 */
export interface Inventory {
  /**
   * Absent in inventories before 0.6.0.
   */
  format?: "fwctl-cts-inventory/1";
  tool?: {
    name: string;
    version: string;
  };
  /**
   * When it was taken (ISO 8601).
   */
  takenAt?: string;
  host?: {
    hostname: string;
    kernelRelease: string;
  };
  devices: InventoryDevice[];
  taint:
    | {
        mask: number;
        fwctl: boolean;
      }
    | {
        error: string;
      };
}
/**
 * One fwctl device (harness/kernel/discovery.ts DiscoveredDevice), or a target's description (`inventory --target`).
 *
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "InventoryDevice".
 */
export interface InventoryDevice {
  /**
   * fwctlN
   */
  name: string;
  /**
   * The target it describes (inventory --target), e.g. sim:cxl@2.0.
   */
  target?: string;
  sysfsPath?: string;
  devnum?: string;
  node: string;
  nodeProblem?: string;
  parentPath?: string;
  parent?: string;
  driver?: string;
  pci?: {
    address: string;
    vendor: number;
    device: number;
    class: number;
  };
  firmwareVersion?: string;
  serial?: string;
  deviceType?: number;
  deviceTypeName?: string;
  infoError?: string;
  /**
   * Reference-driver defects (sim targets).
   */
  defects?: string[];
}
