#!/usr/bin/env python3
"""Firmware simulator of the fictional Acme PCTL power controller, a fwctl
device type the Linux uAPI does not know (out_device_type 65).

It speaks the fwctl-cts wire protocol, version 1 (docs/wire-protocol.md), on
stdin/stdout, and models both halves a real driver has: the fwctl core
(drivers/fwctl/main.c: the ioctl dispatch, struct sizes, scopes, taint) and
the Acme driver with its firmware behind it. Python 3 standard library only.

    fwctl-cts run --plugin examples/vendor-device \\
        --target 'exec:python3 examples/vendor-device/sim/acme_pctl_sim.py'

--defect NAME (repeatable) breaks one rule; --list-defects lists them.
"""
import argparse
import base64
import hashlib
import json
import os
import struct
import sys

PROTOCOL = 1
DEVICE_TYPE = 65  # what the plugin declares (fwctl-cts-plugin.json deviceTypes)
FW_VERSION = (1, 4, 2024)

FWCTL_INFO = 0x9A00
FWCTL_RPC = 0x9A01
INFO_SIZE = 24
RPC_SIZE = 32
MAX_RPC_LEN = 2 * 1024 * 1024
TAINT_FWCTL = 1 << 19
SCOPES = ("CONFIGURATION", "DEBUG_READ_ONLY", "DEBUG_WRITE", "DEBUG_WRITE_FULL")

# The Acme mailbox: a big-endian 8-byte request header
#   u16 command @0, u8 sub @2, u8 reserved @3, u32 param @4
# and a response
#   u8 status @0 (0 = success), u8 reserved @1, u16 payload length @2, payload @4.
# Each command's minimum scope (profiles/acme-pctl.json says the same).
CMD_GET_VERSION = 0x0001
CMD_READ_SENSOR = 0x0010
CMD_READ_TRACE = 0x0020
CMD_SET_POWER_LIMIT = 0x0030
CMD_WRITE_REG = 0x0040
CMD_FW_POKE = 0x0050
MIN_SCOPE = {
    CMD_GET_VERSION: 0,
    CMD_READ_SENSOR: 0,
    CMD_READ_TRACE: 1,
    CMD_SET_POWER_LIMIT: 0,
    CMD_WRITE_REG: 2,
    CMD_FW_POKE: 3,
}
ST_OK, ST_BAD_PARAM = 0x00, 0x02

# The defects and the rules each breaks (the tests and scripts/check-package.sh read the same file).
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "defects.json"), encoding="utf-8") as f:
    DEFECTS = json.load(f)


class Errno(Exception):
    def __init__(self, name):
        super().__init__(name)
        self.name = name


class Process:
    """One process using the device: its user memory (explicit segments) and descriptors."""

    def __init__(self, pid, rawio):
        self.pid = pid
        self.rawio = rawio
        self.segments = {}  # addr -> bytearray
        self.fds = {}  # fd -> open context id
        self.next_fd = 3

    def locate(self, addr, length):
        """The segment holding [addr, addr+length), else EFAULT (length 0 never faults)."""
        if length == 0:
            return None, 0
        for base, seg in self.segments.items():
            if base <= addr and addr + length <= base + len(seg):
                return seg, addr - base
        raise Errno("EFAULT")

    def copy_from_user(self, addr, length):
        seg, off = self.locate(addr, length)
        return bytes(seg[off:off + length]) if seg is not None else b""

    def copy_to_user(self, addr, data):
        seg, off = self.locate(addr, len(data))
        if seg is not None:
            seg[off:off + len(data)] = data


class Device:
    """The Acme firmware: its state, which deviceState.digest() covers."""

    def __init__(self, defects):
        self.defects = defects
        self.power_limit_live = 250
        self.power_limit_pending = None
        self.regs = {}
        self.pokes = 0
        self.sample_log = []

    def state_digest(self):
        state = [self.power_limit_live, self.power_limit_pending, sorted(self.regs.items()), self.pokes, self.sample_log]
        return hashlib.sha256(json.dumps(state).encode()).hexdigest()

    def info(self):
        # fwctl_ops.info: "ACME", firmware major, minor (I-3).
        return b"ACME" + struct.pack("<HH", FW_VERSION[0], FW_VERSION[1])

    def rpc(self, scope, request):
        """fwctl_ops.fw_rpc: the response bytes, or raise Errno."""
        if len(request) < 8:
            raise Errno("EINVAL")
        command, sub, _rsvd, param = struct.unpack(">HBBI", request[:8])
        if command not in MIN_SCOPE:
            raise Errno("EOPNOTSUPP")
        need = MIN_SCOPE[command]
        if command == CMD_WRITE_REG and "write-reg-at-config" in self.defects:
            need = 0
        exact = command == CMD_SET_POWER_LIMIT and "exact-scope" in self.defects
        if scope < need or (exact and scope != need):
            raise Errno("EPERM")
        status, payload = self.execute(command, sub, param)
        return struct.pack(">BBH", status, 0, len(payload)) + payload

    def execute(self, command, sub, param):
        if command == CMD_GET_VERSION:
            # major, minor, build, then the firmware's name (NUL-padded to 16 bytes)
            return ST_OK, struct.pack(">HHI16s", *FW_VERSION, b"acme-pctl fw")
        if command == CMD_READ_SENSOR:
            if sub > 3:
                return ST_BAD_PARAM, b""
            if "sensor-read-logs" in self.defects:
                self.sample_log.append(sub)
            return ST_OK, struct.pack(">I", 40000 + 1000 * sub)  # millidegrees
        if command == CMD_READ_TRACE:
            return ST_OK, bytes(range(16))
        if command == CMD_SET_POWER_LIMIT:
            # Takes effect at the next function reset (config-after-reset).
            if not 50 <= param <= 400:
                return ST_BAD_PARAM, b""
            self.power_limit_pending = param
            return ST_OK, b""
        if command == CMD_WRITE_REG:
            self.regs[param >> 16] = param & 0xFFFF
            return ST_OK, b""
        self.pokes += 1  # CMD_FW_POKE
        return ST_OK, b""


class Sim:
    """The fwctl core (drivers/fwctl/main.c) in front of the Acme driver."""

    def __init__(self, defects):
        self.defects = defects
        self.boot()

    def boot(self):
        self.device = Device(self.defects)
        self.procs = {0: Process(1000, True)}
        self.next_proc = 1
        self.taint = 0
        self.warned = False
        self.log = []

    # ---- ioctl (D-1..D-6), FWCTL_INFO (I-1..I-7), FWCTL_RPC (R-1..R-8) ----

    def ioctl(self, proc, fd, request, arg):
        if fd not in proc.fds:
            raise Errno("EBADF")
        if request not in (FWCTL_INFO, FWCTL_RPC):
            raise Errno("ENOTTY")  # D-1, D-2
        ksize = INFO_SIZE if request == FWCTL_INFO else RPC_SIZE
        usize = struct.unpack("<I", proc.copy_from_user(arg, 4))[0]  # D-3
        if usize < ksize:
            raise Errno("EINVAL")  # D-4
        kbuf = bytearray(proc.copy_from_user(arg, ksize))
        if usize > ksize:  # D-5
            tail = proc.copy_from_user(arg + ksize, usize - ksize)
            if any(tail) and "struct-tail-ignored" not in self.defects:
                raise Errno("E2BIG")
        if request == FWCTL_INFO:
            self.info(proc, arg, usize, kbuf)
        else:
            self.rpc(proc, arg, usize, kbuf)
        return 0

    def info(self, proc, arg, usize, kbuf):
        _size, flags, _type, data_len, data_ptr = struct.unpack_from("<IIIIQ", kbuf)
        if flags != 0:
            raise Errno("EOPNOTSUPP")  # I-1
        driver_len = 0
        if data_len > 0:
            data = self.device.info()
            driver_len = len(data)
            out = bytearray(data_len)  # I-3: min(user, driver), zero-padded
            out[:min(len(data), data_len)] = data[:data_len]
            proc.copy_to_user(data_ptr, bytes(out))
        struct.pack_into("<II", kbuf, 8, DEVICE_TYPE, driver_len)  # I-5, I-4
        proc.copy_to_user(arg, bytes(kbuf[:min(usize, INFO_SIZE)]))  # I-6

    def rpc(self, proc, arg, usize, kbuf):
        _size, scope, in_len, out_len, in_ptr, out_ptr = struct.unpack_from("<IIIIQQ", kbuf)
        if in_len > MAX_RPC_LEN or out_len > MAX_RPC_LEN:
            raise Errno("EMSGSIZE")
        if scope not in (0, 1, 2, 3):
            raise Errno("EOPNOTSUPP")
        if scope == 3 and not proc.rawio:
            raise Errno("EPERM")
        if scope >= 2:
            self.add_taint(proc)  # before the request is read
        request = proc.copy_from_user(in_ptr, in_len)
        response = self.device.rpc(scope, request)
        proc.copy_to_user(out_ptr, response[:min(out_len, len(response))])
        struct.pack_into("<I", kbuf, 12, len(response))
        proc.copy_to_user(arg, bytes(kbuf[:min(usize, RPC_SIZE)]))

    def add_taint(self, proc):
        if not self.warned:
            self.warned = True
            self.log.append(f"fwctl fwctl0: acme-pctl-sim({proc.pid}): has requested full access to the physical device")
        self.taint |= TAINT_FWCTL

    # ---- the wire protocol ----

    def part(self, part, method, args):
        if (part, method) == ("taint", "read"):
            return self.taint
        if (part, method) == ("taint", "reset"):
            self.taint, self.warned = 0, False
            return None
        if (part, method) == ("kernelLog", "read"):
            start = args[0] if args and isinstance(args[0], int) else 0
            return self.log[start:]
        if (part, method) == ("deviceState", "digest"):
            return self.device.state_digest()
        raise KeyError(f"no part method {part}.{method}")

    def call(self, msg):
        op = msg["op"]
        if op == "reset":
            self.boot()
            return {"ret": 0}
        proc = self.procs.get(msg.get("proc", 0))
        if proc is None:
            return {"error": f"no process {msg.get('proc')}"}
        if op == "map":
            proc.segments[int(msg["addr"], 16)] = bytearray(msg["size"])
            return {"ret": 0}
        if op == "unmap":
            proc.segments.pop(int(msg["addr"], 16), None)
            return {"ret": 0}
        if op == "open":
            if "path" in msg:
                return {"error": "this simulator serves one device"}
            fd = proc.next_fd
            proc.next_fd += 1
            proc.fds[fd] = True
            return {"ret": fd}
        if op == "close":
            if proc.fds.pop(msg["fd"], None) is None:
                return {"ret": -1, "errno": "EBADF"}
            return {"ret": 0}
        if op == "fileop":
            if msg["fd"] not in proc.fds:
                return {"ret": -1, "errno": "EBADF"}
            return {"ret": -1, "errno": "ENODEV" if msg["name"] == "mmap" else "EINVAL"}  # D-8
        if op == "spawn":
            pid = self.next_proc
            self.next_proc += 1
            self.procs[pid] = Process(1000 + pid, bool(msg.get("rawio")))
            return {"value": pid}
        if op == "exit":
            del self.procs[msg.get("proc", 0)]
            return {"ret": 0}
        if op == "part":
            return {"value": self.part(msg["part"], msg["method"], msg.get("args") or [])}
        if op == "ioctl":
            for seg in msg.get("mem") or []:
                addr = int(seg["addr"], 16)
                if addr in proc.segments:
                    proc.segments[addr][:] = base64.b64decode(seg["data"])
            before = {a: bytes(s) for a, s in proc.segments.items()}
            try:
                reply = {"ret": self.ioctl(proc, msg["fd"], int(msg["request"], 16), int(msg["arg"], 16))}
            except Errno as e:
                reply = {"ret": -1, "errno": e.name}
            changed = [{"addr": hex(a), "data": base64.b64encode(bytes(s)).decode()} for a, s in proc.segments.items() if before.get(a) != bytes(s)]
            if changed:
                reply["mem"] = changed
            return reply
        return {"error": f"unknown op {op}"}


def main():
    ap = argparse.ArgumentParser(description="Acme PCTL firmware simulator (fwctl-cts wire protocol 1)")
    ap.add_argument("--defect", action="append", default=[], choices=sorted(DEFECTS), help="break one rule (repeatable)")
    ap.add_argument("--list-defects", action="store_true", help="list the defects and the rules each breaks")
    opts = ap.parse_args()
    if opts.list_defects:
        for name, d in DEFECTS.items():
            print(f"{name}\n    {d['summary']}\n    breaks: {', '.join(d['breaks'])}")
        return
    sim = Sim(set(opts.defect))
    out = sys.stdout

    def send(msg):
        out.write(json.dumps(msg, separators=(",", ":")) + "\n")
        out.flush()

    greeted = False
    for line in sys.stdin:
        try:
            msg = json.loads(line)
        except ValueError:
            send({"type": "error", "message": "not JSON"})
            continue
        if msg.get("type") == "hello":
            if msg.get("protocol") != PROTOCOL:
                send({"type": "error", "message": f"protocol {msg.get('protocol')} is not supported (this driver speaks {PROTOCOL})"})
                return
            greeted = True
            send({
                "type": "hello", "protocol": PROTOCOL,
                "driver": {"name": "acme-pctl-sim 1.0", "model": "acme-pctl", "fw": "%d.%d" % FW_VERSION[:2], "device": "fwctl0",
                           "deviceType": DEVICE_TYPE, "defects": sorted(sim.defects), "capSysRawio": True,
                           "allows": {"taint": True, "destructive": True, "hazards": True}},
                "parts": ["taint", "taint.reset", "kernelLog", "credentials", "processes", "fileOps", "deviceState", "reset"],
            })
        elif msg.get("type") == "call" and greeted:
            try:
                reply = sim.call(msg)
            except Exception as e:  # a bug here is the simulator's, reported on the call, not a dead driver
                reply = {"error": f"{type(e).__name__}: {e}"}
            send({"type": "reply", "id": msg["id"], **reply})
        else:
            send({"type": "error", "message": f"unexpected {msg.get('type')} message"})


if __name__ == "__main__":
    main()
