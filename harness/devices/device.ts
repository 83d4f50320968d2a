/**
 * What the uAPI suites need to know about a device type to exercise the core
 * contract: a harmless request that succeeds at every scope, and a request the
 * driver rejects. Vendor-neutral suites use only this interface.
 */
export interface DeviceKnowledge {
  /** Lower-case device type, e.g. 'cxl'. */
  readonly name: string;
  readonly deviceType: number;
  /** The driver implements fwctl_ops.info (I-2 vs I-3). */
  readonly hasInfoOp: boolean;
  /** A read-only request accepted at every scope, with its response length. */
  benign(): { input: Buffer; outLen: number; driverOutLen: number };
  /** A request the driver rejects at every scope, with the errno it must give. */
  rejected(): { input: Buffer; errno: string };
}
