import { describe, expect, it } from 'vitest';
import { NativeMemory, O_RDONLY, sysCall, sysClose, sysIoctl, sysIoctlBlocking, sysOpen } from '../../../../electron/control/kernel/native';

const FIONREAD = 0x541b;

describe('ffi-rs round trip through real ioctls of this kernel', () => {
  it('reads back what the kernel writes into native memory (FIONREAD on a pipe)', () => {
    const fds = Buffer.alloc(8);
    expect(sysCall('pipe', [{ kind: 'buffer', value: fds }]).ret).toBe(0);
    const [rfd, wfd] = [fds.readInt32LE(0), fds.readInt32LE(4)];
    const payload = Buffer.from('seven b');
    expect(sysCall('write', [{ kind: 'i32', value: wfd }, { kind: 'buffer', value: payload }, { kind: 'i64', value: payload.length }]).ret).toBe(7);
    const mem = new NativeMemory(4);
    try {
      const r = sysIoctl(rfd, FIONREAD, mem.address);
      expect(r).toEqual({ ret: 0, errno: 0, errnoName: null });
      expect(mem.read(4).readInt32LE(0)).toBe(7);
    } finally {
      mem.free();
      sysClose(rfd);
      sysClose(wfd);
    }
  });

  it('names the errno of an unknown ioctl (ENOTTY on /dev/null), also off the event loop', async () => {
    const fd = sysOpen('/dev/null', O_RDONLY);
    expect(fd.ret).toBeGreaterThanOrEqual(0);
    const mem = new NativeMemory(48);
    try {
      expect(sysIoctl(fd.ret, 0xc0301290, mem.address)).toMatchObject({ ret: -1, errno: 25, errnoName: 'ENOTTY' });
      await expect(sysIoctlBlocking(fd.ret, 0xc0301290, mem.address)).resolves.toMatchObject({ errnoName: 'ENOTTY' });
    } finally {
      mem.free();
      sysClose(fd.ret);
    }
  });

  it('reports ENOENT for a missing node', () => {
    expect(sysOpen('/dev/blksnap-control-does-not-exist', O_RDONLY)).toMatchObject({ ret: -1, errnoName: 'ENOENT' });
  });

  it('refuses out-of-bounds native access instead of corrupting memory', () => {
    const mem = new NativeMemory(8);
    try {
      expect(() => mem.write(Buffer.alloc(9))).toThrow(RangeError);
      expect(() => mem.read(4, 6)).toThrow(RangeError);
    } finally {
      mem.free();
    }
  });
});
