/**
 * Typed harness errors. Each has a stable `code` and a one-line message meant
 * for a user; the CLI prints `message` (and `hint`) and exits 2, never a stack.
 */
export type CtsErrorCode =
  | 'CTS_E_TARGET_SPEC' // malformed target string
  | 'CTS_E_UNKNOWN_MODEL'
  | 'CTS_E_UNKNOWN_FW'
  | 'CTS_E_UNKNOWN_DEFECT'
  | 'CTS_E_INVALID_FILE' // a JSON input failed its schema
  | 'CTS_E_READ_FILE'
  | 'CTS_E_REPORT_DIR' // cannot write reports
  | 'CTS_E_USAGE'
  | 'CTS_E_NO_DEVICE' // dev:all found no fwctl device (exit 4)
  | 'CTS_E_NO_DEVICE_NODE' // a dev: target names a node that does not exist (exit 2)
  | 'CTS_E_INTERNAL';

export class CtsError extends Error {
  constructor(
    readonly code: CtsErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CtsError';
  }
}
