/**
 * The mlx5-like device: firmware with user contexts and uid-tagged objects,
 * the mlx5 fwctl driver (6.15 or later), and the netdev side of mlx5_core
 * sharing the command interface.
 *
 * Two models share the device and its firmware versions: `mlx5` runs the
 * driver as merged for 6.15, `mlx5-7-3` the one of Linux 7.3 (digest §3.1).
 */
import { createHash } from 'node:crypto';
import { DeviceType } from '../../../uapi/fwctl.js';
import type { DeviceInstance, DeviceModel, KernelSubsystemDriver, ModelEnv } from '../../models.js';
import { Mlx5FwctlDriver, type Mlx5DriverVersion } from './driver.js';
import { CommandInterface, MLX5_FW_VERSIONS, Mlx5Firmware } from './firmware.js';
import { HDR_LEN, IN, NvItem, Op, Reg, RegOp, Status } from './ifc.js';

/**
 * The netdev (mlx5e on mlx5_core): at probe it creates its CQ, QP and a
 * diagnostic counter with uid 0, and reads the NV configuration it acts on;
 * it reads configuration again only at a function reset.
 */
class Mlx5Netdev implements KernelSubsystemDriver {
  readonly name = 'mlx5_core (netdev)';
  private live: Record<string, number> = {};
  private readonly owned: number[];

  constructor(private readonly cmdif: CommandInterface) {
    this.owned = [Op.CREATE_CQ, Op.CREATE_QP].map((op) => this.exec(this.request(op), HDR_LEN).readUInt32BE(IN.objectId));
    this.owned.push(this.exec(this.request(Op.ALLOC_DIAG_COUNTER), HDR_LEN + 4).readUInt32BE(IN.data));
    this.reload();
  }

  private exec(cmd: Buffer, outLen: number): Buffer {
    return this.cmdif.exec(cmd, outLen); // uid 0: the kernel's own context
  }

  /** A request for `opcode` as the netdev would build it. */
  private request(opcode: number): Buffer {
    const cmd = Buffer.alloc(64);
    cmd.writeUInt16BE(opcode, IN.opcode);
    if (opcode === Op.QUERY_HCA_CAP) cmd.writeUInt16BE(1, IN.opMod); // general, current
    if (opcode === Op.QUERY_NV_CONFIG) cmd.writeUInt16BE(NvItem.ROCE_ENABLED, IN.index);
    if (opcode === Op.ACCESS_REG) {
      cmd.writeUInt16BE(RegOp.READ, IN.opMod);
      cmd.writeUInt16BE(Reg.PAOS, IN.index);
    }
    return cmd;
  }

  /** Probe or function reset: read what the netdev configures itself from. */
  reload(): void {
    this.live = { roce_enabled: this.cmdif.fw.liveNv(NvItem.ROCE_ENABLED) };
  }

  liveConfig(): Record<string, number> {
    return { ...this.live };
  }

  /** The netdev's own use of a command (by profile name; the part before ':' is the opcode name). */
  use(command: string): { ok: boolean; detail: string } {
    if (this.cmdif.heldBy) return { ok: false, detail: `${command}: the command interface is held by ${this.cmdif.heldBy}; the netdev would wait forever` };
    const opcode = (Op as Record<string, number>)[command.split(':')[0]!];
    if (opcode === undefined) return { ok: false, detail: `${command}: not a command the netdev knows` };
    const status = this.exec(this.request(opcode), 256)[0]!;
    return { ok: status === Status.OK, detail: `${command}: status 0x${status.toString(16)}` };
  }

  ownedObjects(): number[] {
    return [...this.owned];
  }
}

function mlx5Device(name: string, driver: Mlx5DriverVersion): DeviceModel {
  return {
    name,
    deviceType: DeviceType.MLX5,
    kernel: driver,
    fwVersions: MLX5_FW_VERSIONS,
    parent: 'mlx5_core.fwctl.0',
    create(env: ModelEnv): DeviceInstance {
      const fw = new Mlx5Firmware(env.fw, env.defects);
      const cmdif = new CommandInterface(fw);
      const netdev = new Mlx5Netdev(cmdif);
      fw.onConfigLive = () => netdev.reload();
      return {
        fwctl: new Mlx5FwctlDriver(cmdif, env, driver),
        kernelDriver: netdev,
        functionReset: () => {
          fw.reset();
          netdev.reload();
        },
        fwResources: () => fw.fwctlResources(),
        stateDigest: () => createHash('sha256').update(fw.snapshot()).digest('hex'),
      };
    },
  };
}

export const mlx5Model = mlx5Device('mlx5', '6.15');
export const mlx5Model73 = mlx5Device('mlx5-7-3', '7.3');
