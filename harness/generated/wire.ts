/* Generated from schemas/wire.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * One line of the fwctl-cts wire protocol, version 1 (docs/wire-protocol.md).
 */
export type WireMessage = Hello | Call | Reply | ProtocolFailure;
export type Hex = string;

export interface Hello {
  type: "hello";
  protocol: number;
  harness?: string;
  driver?: {
    name: string;
    model?: string;
    fw?: string;
    device?: string;
    defects?: string[];
    deviceType?: number;
    profile?: string;
    capSysRawio?: boolean;
    /**
     * The kernel release the device runs under (uname -r; a simulator: the release its driver follows): hazards fixed there are not hazards.
     */
    kernelRelease?: string;
    allows: WireAllows;
    /**
     * Every connection reaches the same device (real hardware): exclusive tests run alone.
     */
    shared?: boolean;
    /**
     * Why a part is not listed in parts (e.g. an agent started without the flag it needs): the skip reason.
     */
    unavailable?: {
      [k: string]: string;
    };
  };
  parts?: string[];
}
export interface WireAllows {
  taint: boolean;
  destructive: boolean;
  hazards: boolean;
}
export interface Call {
  type: "call";
  id: number;
  proc: number;
  op: "map" | "unmap" | "open" | "close" | "ioctl" | "fileop" | "spawn" | "exit" | "part" | "reset";
  addr?: Hex;
  size?: number;
  fd?: number;
  request?: Hex;
  arg?: Hex;
  mem?: Segment[];
  name?: "read" | "write" | "mmap";
  rawio?: boolean;
  /**
   * open: another fwctl node to open instead of the driver's own device (only an agent that serves every device of its machine accepts it)
   */
  path?: string;
  part?: string;
  method?: string;
  args?: unknown[];
}
export interface Segment {
  addr: Hex;
  data: string;
}
export interface Reply {
  type: "reply";
  id: number;
  ret?: number;
  errno?: string;
  mem?: Segment[];
  value?: unknown;
  killed?: string;
  error?: string;
  /**
   * With error: an agent refused the call (its flags, or a pointer, request or size it cannot check); nothing reached the device.
   */
  refused?: boolean;
}
export interface ProtocolFailure {
  type: "error";
  message: string;
}
