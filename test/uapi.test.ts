/** uAPI codecs: byte offsets checked against the digest's tables (§1), round trips at every size. */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  CXL_FEAT_ENTRY_SIZE,
  decodeCxlRpcHeader,
  decodeFeatEntry,
  decodeSupportedFeatures,
  encodeFeatEntry,
  encodeGetFeature,
  encodeGetSupportedFeatures,
  encodeSetFeature,
  uuidBytes,
  uuidString,
} from '../uapi/cxl.js';
import { ERRNO, errnoName } from '../uapi/errno.js';
import {
  FWCTL_INFO,
  FWCTL_RPC,
  INFO_OFF,
  INFO_SIZE,
  IOC_READ,
  IOC_WRITE,
  RPC_OFF,
  RPC_SIZE,
  decodeInfo,
  decodeRpc,
  encodeInfo,
  encodeRpc,
  ioc,
} from '../uapi/fwctl.js';

describe('uapi: fwctl.h', () => {
  it('ioctl numbers are _IO(0x9A, 0) = 39424 and _IO(0x9A, 1) = 39425', () => {
    expect(FWCTL_INFO).to.equal(39424);
    expect(FWCTL_RPC).to.equal(39425);
    expect(ioc(IOC_READ | IOC_WRITE, 0x9a, 0, 24)).to.equal(0xc0189a00);
  });

  it('struct fwctl_info offsets match digest §1.4', () => {
    expect(INFO_OFF).to.deep.equal({ size: 0, flags: 4, out_device_type: 8, device_data_len: 12, out_device_data: 16 });
    const b = encodeInfo({ flags: 0x11223344, out_device_type: 2, device_data_len: 7, out_device_data: 0x0102030405060708n });
    expect(b.length).to.equal(INFO_SIZE);
    expect(b.toString('hex')).to.equal('18000000' + '44332211' + '02000000' + '07000000' + '0807060504030201');
  });

  it('struct fwctl_rpc offsets match digest §1.5', () => {
    expect(RPC_OFF).to.deep.equal({ size: 0, scope: 4, in_len: 8, out_len: 12, in: 16, out: 24 });
    const b = encodeRpc({ scope: 3, in_len: 48, out_len: 72, in: 0x10n, out: 0x20n });
    expect(b.toString('hex')).to.equal('20000000' + '03000000' + '30000000' + '48000000' + '1000000000000000' + '2000000000000000');
  });

  it('encodes short, exact and longer structs, with zero or non-zero tails', () => {
    const short = encodeInfo({ size: 12, flags: 1 });
    expect(short.length).to.equal(12);
    expect(decodeInfo(short)).to.include({ size: 12, flags: 1, device_data_len: 0 });
    expect(encodeRpc({ size: 48 }).subarray(RPC_SIZE).every((x) => x === 0)).to.equal(true);
    const tailed = encodeRpc({ size: 40 }, 40, Buffer.alloc(8, 0xff));
    expect([...tailed.subarray(32)]).to.deep.equal(new Array(8).fill(0xff));
    expect(encodeInfo({ size: 24 }, 32).length).to.equal(32);
  });

  it('round-trips every field value (property)', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(
      fc.property(u32, u32, u32, u32, u64, u64, (size, scope, inLen, outLen, inPtr, outPtr) => {
        const v = { size, scope, in_len: inLen, out_len: outLen, in: inPtr, out: outPtr };
        expect(decodeRpc(encodeRpc(v, RPC_SIZE))).to.deep.equal(v);
      }),
    );
    fc.assert(
      fc.property(u32, u32, u32, u64, (flags, type, len, ptr) => {
        const v = { size: INFO_SIZE, flags, out_device_type: type, device_data_len: len, out_device_data: ptr };
        expect(decodeInfo(encodeInfo(v))).to.deep.equal(v);
      }),
    );
  });

  it('names errnos, and marks unknown numbers', () => {
    expect(errnoName(ERRNO.EMSGSIZE)).to.equal('EMSGSIZE');
    expect(ERRNO.EOPNOTSUPP).to.equal(95);
    expect(errnoName(4095)).to.equal('E#4095');
  });
});

describe('uapi: CXL payloads', () => {
  const TEST_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

  it('fwctl_rpc_cxl header and Get Supported Features input (digest §1.6)', () => {
    const b = encodeGetSupportedFeatures(96, 3);
    expect(b.length).to.equal(48);
    expect(decodeCxlRpcHeader(b)).to.deep.equal({ opcode: 0x500, flags: 0, opSize: 8, reserved1: 0 });
    expect(b.readUInt32LE(16)).to.equal(96);
    expect(b.readUInt16LE(20)).to.equal(3);
  });

  it('Get Feature input: uuid @16, offset @32, count @34, selection @36, op_size 21', () => {
    const b = encodeGetFeature({ uuid: TEST_UUID, offset: 2, count: 4, selection: 1 });
    expect(b.readUInt32LE(8)).to.equal(21);
    expect(b.subarray(16, 32).every((x) => x === 0xff)).to.equal(true);
    expect([b.readUInt16LE(32), b.readUInt16LE(34), b.readUInt8(36)]).to.deep.equal([2, 4, 1]);
  });

  it('Set Feature input: flags @32, offset @36, version @38, data @48, op_size 32 + data', () => {
    const b = encodeSetFeature({ uuid: TEST_UUID, flags: 8, offset: 0, version: 1, data: Buffer.from('cdabcdab', 'hex') });
    expect(b.length).to.equal(16 + 32 + 4);
    expect(b.readUInt32LE(8)).to.equal(36);
    expect([b.readUInt32LE(32), b.readUInt16LE(36), b.readUInt8(38)]).to.deep.equal([8, 0, 1]);
    expect(b.subarray(48).toString('hex')).to.equal('cdabcdab');
  });

  it('cxl_feat_entry is 48 packed bytes and round-trips', () => {
    const e = { uuid: TEST_UUID, id: 0, getFeatSize: 4, setFeatSize: 4, flags: 0x61, getFeatVer: 1, setFeatVer: 1, effects: 0x201 };
    const b = encodeFeatEntry(e);
    expect(b.length).to.equal(CXL_FEAT_ENTRY_SIZE);
    expect([b.readUInt16LE(18), b.readUInt32LE(22), b.readUInt16LE(28)]).to.deep.equal([4, 0x61, 0x201]);
    expect(decodeFeatEntry(b)).to.deep.equal(e);
  });

  it('decodes Get Supported Features output without inventing entries past the buffer', () => {
    const out = Buffer.alloc(16 + 48);
    out.writeUInt32LE(56, 0);
    out.writeUInt16LE(2, 8); // claims two entries, carries one
    out.writeUInt16LE(5, 10);
    const d = decodeSupportedFeatures(out);
    expect([d.size, d.numEntries, d.supportedFeats, d.entries.length]).to.deep.equal([56, 2, 5, 1]);
  });

  it('UUIDs convert both ways and reject garbage', () => {
    const u = '96dad7d6-fde8-482b-a733-75774e06db8a';
    expect(uuidString(uuidBytes(u))).to.equal(u);
    expect(() => uuidBytes('not-a-uuid')).to.throw('not a UUID');
  });
});
