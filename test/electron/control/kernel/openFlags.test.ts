// The open flags the kernel client passes are this platform's, not x86_64's: O_DIRECT,
// O_DIRECTORY (inside O_TMPFILE) and O_LARGEFILE differ on arm64 and ppc64, where x86_64's
// values mean other flags (0o100000 is O_NOFOLLOW there) or make the kernel refuse the open.
import { afterEach, describe, expect, it, vi } from 'vitest';

const NATIVE = '../../../../electron/control/kernel/native';

afterEach(() => {
  vi.doUnmock('node:fs');
  vi.resetModules();
});

async function nativeWith(overrides: Partial<Record<'O_DIRECT' | 'O_DIRECTORY', number>>, arch: string) {
  vi.resetModules();
  vi.doMock('node:fs', async (importOriginal) => {
    const fs = await importOriginal<typeof import('node:fs')>();
    const constants = { ...fs.constants, ...overrides };
    return { ...fs, constants, default: { ...fs, constants } };
  });
  const saved = Object.getOwnPropertyDescriptor(process, 'arch')!;
  Object.defineProperty(process, 'arch', { value: arch });
  try {
    return await import(NATIVE);
  } finally {
    Object.defineProperty(process, 'arch', saved);
  }
}

describe('open flags of the kernel client', () => {
  it('on x86_64: the values the upstream tool passes', async () => {
    const native = await nativeWith({ O_DIRECT: 0o40000, O_DIRECTORY: 0o200000 }, 'x64');
    expect(native.O_TMPFILE).toBe(0o20200000);
    expect(native.O_DIRECT).toBe(0o40000);
    expect(native.O_LARGEFILE).toBe(0o100000);
  });

  it("on arm64: arm64's O_DIRECTORY in O_TMPFILE, its O_DIRECT, and no O_LARGEFILE (its bit is O_NOFOLLOW there)", async () => {
    const native = await nativeWith({ O_DIRECT: 0o200000, O_DIRECTORY: 0o40000 }, 'arm64');
    expect(native.O_TMPFILE).toBe(0o20040000);
    expect(native.O_DIRECT).toBe(0o200000);
    expect(native.O_LARGEFILE).toBe(0);
  });
});
