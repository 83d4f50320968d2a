/**
 * What the suites know of the device under test: its profile (the catalogue)
 * and its codec, restricted to the firmware version the target runs.
 */
import { codecFor, type Codec } from '../../harness/codecs/index.js';
import { hazardFixed } from '../../harness/profiles/kernel.js';
import { presentAt, scopeValue, type Command, type Probe, type Profile } from '../../harness/profiles/profile.js';

export class Device {
  constructor(
    readonly profile: Profile,
    readonly codec: Codec,
    readonly fw: string | undefined,
    /** The kernel release the device runs under, when known (dev:). */
    readonly kernel?: string,
  ) {}

  static of(profile: Profile, fw: string | undefined, kernel?: string): Device {
    const codec = codecFor(profile.codec);
    if (!codec) throw new Error(`profile ${profile.id}: no codec '${profile.codec}'`);
    return new Device(profile, codec, fw, kernel);
  }

  /** Catalogued commands present at this firmware version. */
  get commands(): Command[] {
    return this.profile.commands.filter((c) => presentAt(c, this.fw));
  }

  /**
   * The harmless request the uAPI suites use: the first safe probe, preferring
   * one allowed at CONFIGURATION (bnxt's reads need DEBUG_READ_ONLY).
   */
  get benign(): Command {
    const probes = this.commands.filter((x) => x.safeProbe);
    const c = probes.find((x) => x.minScope === 'CONFIGURATION') ?? probes.find((x) => x.minScope === 'DEBUG_READ_ONLY');
    if (!c) throw new Error(`profile ${this.profile.id} has no safe probe below DEBUG_WRITE`);
    return c;
  }

  /** A request outside the catalogue, and the errno the driver must give it. */
  get rejected(): { probe: Probe; errno: string } {
    const probe = this.profile.uncatalogued[0];
    if (!probe) throw new Error(`profile ${this.profile.id} lists no uncatalogued probe`);
    return { probe, errno: this.profile.rejections.uncatalogued };
  }

  minScope(c: Command): number {
    return scopeValue(c.minScope);
  }

  /**
   * The shortest request a real kernel can take safely (digest §3 hazards): 0
   * on a kernel at or after `hazards.before`, where short requests are only EINVAL.
   */
  get minInLen(): number {
    return this.hazardFixed ? 0 : (this.profile.hazards?.minInLen ?? 0);
  }

  /**
   * The kernel is known to be at or after the profile's `hazards.before`: short
   * requests are refused there, never read past (a sim: the release its model follows).
   */
  get hazardFixed(): boolean {
    return hazardFixed(this.profile.hazards?.before, this.kernel);
  }
}
