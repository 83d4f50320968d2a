/**
 * Robustness: malformed requests (truncated, garbled, random) get an answer —
 * never a crash, a hang, or, when rejected, a change of device state
 * (fwctl.rst "Disallowed behavior"). Inputs come from every catalogued command:
 * each truncation, each of the first 64 bytes set to 0x00 and 0xff, then a
 * seeded fast-check pass (`run --robustness-runs`). Replay a failure with FWCTL_CTS_SEED and FWCTL_CTS_PATH.
 * And, where the kernel checks it, a request shorter than it declares is refused (short-request-refused).
 */
import { check } from '../support/check.js';
import { noCrash, noHang, noStateChange, robustness, robustnessTimeoutMs, shortRequestsRefused } from '../support/robustness.js';

describe('robustness', () => {
  check('robustness.no-crash', 'no malformed request crashes the kernel or kills the caller', { timeoutMs: robustnessTimeoutMs() }, async (t) => robustness(t, 'no-crash', noCrash));
  check('robustness.no-hang', 'every malformed request completes', { timeoutMs: robustnessTimeoutMs() }, async (t) => robustness(t, 'no-hang', noHang));
  check('robustness.rejected-no-state-change', 'a rejected malformed request changes no device state', { requires: ['deviceState'], exclusive: 'device', timeoutMs: robustnessTimeoutMs() }, async (t) => robustness(t, 'no-state-change', noStateChange));
  // Deterministic where the short-request hazard is fixed (profile hazards.before): needs no KASAN to see a read past in_len.
  check('robustness.short-request-refused', 'a catalogued request cut short of the length it declares is refused with an errno, never carried out', async (t) => shortRequestsRefused(t));
});
