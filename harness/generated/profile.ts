/* Generated from schemas/profile.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * A device profile: what a device type's RPCs are, how to encode them, and what the driver promises about each.
 */
export type Profile = {
  $schema?: string;
  id: string;
  title: string;
  deviceType: DeviceTypeName;
  /**
   * The codec that encodes requests, by id: a data codec codecs/<id>.json, a TypeScript one in harness/codecs/ (docs/codecs.md), or one a plugin provides (docs/plugins.md).
   */
  codec: string;
  /**
   * Where the catalogue comes from (driver source, digest section).
   */
  source: string;
  /**
   * Kernel profiles: the kernel releases (uname -r, major.minor) whose driver this profile describes; dev: picks by device type and the running release. npm run check:profiles compares it with that kernel's source.
   */
  kernels?: {
    min?: KernelVersion;
    max?: KernelVersion;
  };
  info: {
    /**
     * The driver implements fwctl_ops.info (I-3) rather than not (I-2).
     */
    hasInfoOp: boolean;
    /**
     * device_data_len the driver reports (0 for none, and for pds's quirk).
     */
    dataLength: number;
  };
  rejections: {
    belowScope: Errno;
    uncatalogued: Errno1;
  };
  resources: {
    /**
     * Each open descriptor holds firmware resources (a user context, objects).
     */
    perDescriptor: boolean;
    /**
     * target: the target's `resources` part counts them.
     */
    observedBy: "target" | "none";
  };
  hazards?: {
    /**
     * Requests shorter than this may crash a real kernel: never sent unless hazards are allowed.
     */
    minInLen?: number;
    before?: KernelVersion1;
    refusal?: Errno2;
  };
  /**
   * @minItems 1
   */
  commands: [Command, ...Command[]];
  /**
   * Commands outside the catalogue: denied at every scope.
   */
  uncatalogued: Probe[];
  /**
   * Data-plane commands of another subsystem: never reachable.
   */
  denied: Probe[];
  kernelObjects?: KernelObjects;
  ownObjects?: OwnObjects;
};
/**
 * A uAPI device type (mlx5, cxl, bnxt, pds) or one a plugin declares (docs/plugins.md); checked on load.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "DeviceTypeName".
 */
export type DeviceTypeName = string;
/**
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "KernelVersion".
 */
export type KernelVersion = string;
/**
 * errno for a catalogued command below its minimum scope.
 */
export type Errno = string;
/**
 * errno for a command outside the catalogue.
 */
export type Errno1 = string;
/**
 * The first kernel release that is fixed: on it and later the short requests are only EINVAL and a default run sends them (absent: every kernel).
 */
export type KernelVersion1 = string;
/**
 * The errno a fixed kernel (at or after `before`) gives a request cut shorter than its codec's declaredLength (robustness.short-request-refused; absent: any errno).
 */
export type Errno2 = string;
/**
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ScopeName".
 */
export type ScopeName = "CONFIGURATION" | "DEBUG_READ_ONLY" | "DEBUG_WRITE" | "DEBUG_WRITE_FULL";
/**
 * What the command does, from fwctl.rst 'Scope of Action'. Each implies a floor for the minimum scope.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Effects".
 */
export type Effects =
  "read-only" | "debug-read" | "config-after-reset" | "runtime-config-transparent" | "debug-write" | "full-access";
/**
 * Send at this scope and above (default: every scope).
 */
export type ScopeName1 = "CONFIGURATION" | "DEBUG_READ_ONLY" | "DEBUG_WRITE" | "DEBUG_WRITE_FULL";
/**
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Errno".
 */
export type Errno3 = string;
/**
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "U8".
 */
export type U8 = number;
/**
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "U16".
 */
export type U16 = number;
/**
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "U32".
 */
export type U32 = number;
/**
 * A u16 as a number or a "0x…" string.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Num16".
 */
export type Num16 = U16 | string;
/**
 * A u32 as a number or a "0x…" string.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Num32".
 */
export type Num32 = U32 | string;
/**
 * Bytes in hex, two digits each.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "HexBytes".
 */
export type HexBytes = string;
/**
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Uuid".
 */
export type Uuid = string;
/**
 * Default 0xffff (poll): what bnxt_en and the kernel doc use.
 */
export type U161 = number;
/**
 * Default 0xffff: this function.
 */
export type U162 = number;

/**
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Command".
 */
export interface Command {
  name: string;
  request: Request;
  /**
   * The response buffer to give (at most 1 MiB).
   */
  outLen: number;
  /**
   * out_len the driver reports for outLen: a number, or 'caller' when it echoes the caller's out_len.
   */
  reportedOutLen?: number | "caller";
  minScope: ScopeName;
  effects: Effects;
  /**
   * Safe to send to real hardware in a default run (read-only, CONFIGURATION or DEBUG_READ_ONLY).
   */
  safeProbe: boolean;
  /**
   * stable: must keep working and only grow across firmware; debug: may change (a notice).
   */
  stability: "stable" | "debug";
  /**
   * First firmware version with the command (all when absent).
   */
  since?: string;
  /**
   * [offset, length] ranges of the response that legitimately differ between calls (ids, counters).
   */
  volatile?: [number, number][];
  /**
   * Payload ranges that are values rather than layout (a version string, a counter), or 'all' for the whole payload: not compared across firmware. Added to what the codec says (Codec.values).
   */
  values?: [number, number][] | "all";
  /**
   * Payload ranges that are reserved: a later firmware may fill them with new fields (anywhere, not only at the end).
   */
  reserved?: [number, number][];
  config?: {
    /**
     * The kernel driver's live-config item this command writes.
     */
    key: string;
    /**
     * Values to write (request param 'value').
     *
     * @minItems 2
     */
    values: [number, number, ...number[]];
  };
}
/**
 * Codec-specific request fields (e.g. {opcode, opMod} for mlx5, {opcode, uuid, count} for cxl, {ep, op} for pds).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Request".
 */
export interface Request {
  [k: string]: unknown;
}
/**
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Probe".
 */
export interface Probe {
  name: string;
  request: Request;
  outLen?: number;
  /**
   * For denied probes: the subsystem whose data plane it would touch.
   */
  overlaps?: string;
}
/**
 * Requests aimed at objects the kernel driver owns; each must be refused and change nothing. Who must refuse is `refusal` (default: the kernel or the device).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "KernelObjects".
 */
export interface KernelObjects {
  /**
   * @minItems 1
   */
  probes: [Probe, ...Probe[]];
  minScope?: ScopeName1;
  refusal?: KernelObjectsRefusal;
}
/**
 * Who must refuse the kernelObjects probes (coupling.kernel-objects-unreachable). Absent: by kernel-or-device.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "KernelObjectsRefusal".
 */
export interface KernelObjectsRefusal {
  /**
   * kernel: the kernel driver refuses each probe itself, before it reaches the device: the ioctl fails with an errno. An ioctl that returns 0 with a device status error fails the rule: the request reached the device, which the kernel forbids (e.g. CXL's kernel-exclusive features). kernel-or-device: an errno or a device status error will do, for objects only the firmware can tell apart (mlx5's uid, pds_core's queues).
   */
  by: "kernel" | "kernel-or-device";
  /**
   * Only with by kernel: the errnos the kernel refuses the probes with (any errno when absent).
   *
   * @minItems 1
   */
  errnos?: [Errno3, ...Errno3[]];
  /**
   * Where the kernel source says who refuses (file and function), e.g. drivers/cxl/core/features.c cxlctl_set_feature.
   */
  source: string;
}
/**
 * Commands by which a descriptor creates, reads and frees its own firmware object (request param 'objectId').
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "OwnObjects".
 */
export interface OwnObjects {
  alloc: string;
  query: string;
  free: string;
}
/**
 * fwctl_rpc_cxl fields (harness/codecs/cxl.ts, include/uapi/fwctl/cxl.h); widths as the encoder writes them.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "CxlRequest".
 */
export interface CxlRequest {
  opcode: U32;
  opSize?: U32;
  count?: U16;
  startIdx?: U16;
  uuid?: Uuid;
  offset?: U16;
  selection?: U8;
  flags?: U32;
  data?: HexBytes;
}
/**
 * mlx5 mailbox fields (harness/codecs/mlx5.ts).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Mlx5Request".
 */
export interface Mlx5Request {
  opcode: Num16;
  opMod?: Num16;
  uid?: Num16;
  objectId?: Num32;
  otherFunction?: boolean;
  index?: Num16;
  value?: Num32;
  data?: HexBytes;
  inLen?: number;
}
/**
 * struct fwctl_rpc_pds fields (harness/codecs/pds.ts).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "PdsRequest".
 */
export interface PdsRequest {
  ep: U32;
  op: U16;
  ver?: U8;
  data?: HexBytes;
  respLen?: number;
  valueAt?: number;
  objectIdAt?: number;
}
/**
 * HWRM request fields (harness/codecs/bnxt.ts).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "BnxtRequest".
 */
export interface BnxtRequest {
  reqType: U16;
  body?: HexBytes;
  cmplRing?: U161;
  targetId?: U162;
  /**
   * Request byte where the run's value goes.
   */
  valueAt?: number;
  /**
   * Request byte where the object id goes.
   */
  objectIdAt?: number;
  /**
   * DMA commands (FWCTL_BNXT_DMA_COMMANDS): one user buffer per address field of the request.
   *
   * @maxItems 8
   */
  dma?: {
    /**
     * Request byte of the le64 address.
     */
    at: number;
    /**
     * Buffer bytes (FWCTL_BNXT_MAX_DMABUF is 64 KiB).
     */
    size?: number;
    /**
     * The same as size (kernel profiles).
     */
    bytes?: number;
    dir?: "to-device" | "from-device";
    /**
     * Request byte of the length field.
     */
    lenAt?: number;
    data?: HexBytes;
    valueAt?: number;
  }[];
}
/**
 * Every request of a cxl profile is a CxlRequest.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "CxlRequests".
 */
export interface CxlRequests {
  commands?: {
    request?: CxlRequest;
  }[];
  uncatalogued?: {
    request?: CxlRequest;
  }[];
  denied?: {
    request?: CxlRequest;
  }[];
  kernelObjects?: {
    probes?: {
      request?: CxlRequest;
    }[];
  };
}
/**
 * Every request of a mlx5 profile is a Mlx5Request.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Mlx5Requests".
 */
export interface Mlx5Requests {
  commands?: {
    request?: Mlx5Request;
  }[];
  uncatalogued?: {
    request?: Mlx5Request;
  }[];
  denied?: {
    request?: Mlx5Request;
  }[];
  kernelObjects?: {
    probes?: {
      request?: Mlx5Request;
    }[];
  };
}
/**
 * Every request of a pds profile is a PdsRequest.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "PdsRequests".
 */
export interface PdsRequests {
  commands?: {
    request?: PdsRequest;
  }[];
  uncatalogued?: {
    request?: PdsRequest;
  }[];
  denied?: {
    request?: PdsRequest;
  }[];
  kernelObjects?: {
    probes?: {
      request?: PdsRequest;
    }[];
  };
}
/**
 * Every request of a bnxt profile is a BnxtRequest.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "BnxtRequests".
 */
export interface BnxtRequests {
  commands?: {
    request?: BnxtRequest;
  }[];
  uncatalogued?: {
    request?: BnxtRequest;
  }[];
  denied?: {
    request?: BnxtRequest;
  }[];
  kernelObjects?: {
    probes?: {
      request?: BnxtRequest;
    }[];
  };
}
