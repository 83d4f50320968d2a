import { UserMemory } from './memory.js';

/** TAINT_FWCTL (bit 19, 'J'), digest §4. */
export const TAINT_FWCTL = 19;

/** The slice of a running kernel the fwctl core touches: taint, the log, tasks. */
export class SimKernel {
  private taintMask = 0;
  private readonly log: string[] = [];
  private nextPid = 1000;

  get tainted(): number {
    return this.taintMask;
  }

  addTaint(bit: number): void {
    this.taintMask |= 1 << bit;
  }

  printk(line: string): void {
    this.log.push(line);
  }

  dmesg(): readonly string[] {
    return this.log;
  }

  /** A simulated reboot: taint and log start clear (the real one is sticky until reboot). */
  reboot(): void {
    this.taintMask = 0;
    this.log.length = 0;
  }

  spawn(opts: { comm?: string; capSysRawio?: boolean } = {}): Task {
    return new Task(this.nextPid++, opts.comm ?? 'fwctl-cts', opts.capSysRawio ?? true);
  }
}

/** A user process: its credentials and address space. */
export class Task {
  readonly memory = new UserMemory();
  constructor(
    readonly pid: number,
    readonly comm: string,
    /** capable(CAP_SYS_RAWIO) in the init user namespace. */
    readonly capSysRawio: boolean,
  ) {}
}
