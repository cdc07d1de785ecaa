// The registry of snapshots this app made: what it keeps, that another process reads it back
// from service-registry.json, and that an unreadable file is set aside instead of failing.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirEach } from '../../tempDir';
import { REGISTRY_FILE, SnapshotRegistry } from '../../../electron/service/registry';

const A = '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b';
const B = '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
const entry = (id: string, createdAtMs = 1000) => ({ id, devices: ['/dev/vdb'], createdAtMs, diffStoragePath: '/var/tmp/diff', storageMode: 'directory' as const, limitSectors: 2048, taken: false });

const tmp = tempDirEach('blksnap-registry-');

describe('registry', () => {
  it('keeps devices, storage, taken and corrupted devices once each', () => {
    const r = new SnapshotRegistry(null);
    r.add(entry(A));
    r.addDevice(A, '/dev/vdc');
    r.addDevice(A, '/dev/vdc');
    r.addStorage(A, 8);
    r.addStorage(A, 16);
    r.markTaken(A);
    r.markTaken(A, ['/dev/vde']);
    r.markTaken(A, ['/dev/vde']);
    r.markCorrupted(A, '252:1', 28);
    r.markCorrupted(A, '252:1', 5);
    expect(r.get(A)).toEqual({
      ...entry(A), devices: ['/dev/vdb', '/dev/vdc'], storageSectors: 24, taken: true, corrupted: [{ device: '252:1', errCode: 28 }], addedOutside: ['/dev/vde'],
    });
    expect(r.holderOf('/dev/vdc')?.id).toBe(A);
    expect(r.holderOf('/dev/vde')?.id).toBe(A); // another program added it: our snapshot still holds it
    expect(r.holderOf('/dev/vdd')).toBeUndefined();
  });

  it('ignores changes to a snapshot it does not know', () => {
    const r = new SnapshotRegistry(null);
    r.addDevice(B, '/dev/vdb');
    r.addStorage(B, 8);
    r.markTaken(B);
    r.markCorrupted(B, '252:1', 28);
    expect(r.all()).toEqual([]);
  });

  it('copies what it is given, so the caller cannot change an entry behind its back', () => {
    const r = new SnapshotRegistry(null);
    const given = entry(A);
    r.add(given);
    given.devices.push('/dev/other');
    expect(r.get(A)?.devices).toEqual(['/dev/vdb']);
  });

  it('reconcile drops entries the listing no longer has, but not ones created after the listing', () => {
    const r = new SnapshotRegistry(null);
    r.add(entry(A, 1000));
    r.add(entry(B, 5000));
    expect(r.reconcile([], 2000)).toEqual([A]);
    expect(r.all().map((e) => e.id)).toEqual([B]);
  });

  it('is read back by a later process from its file, and remove is saved too', () => {
    const first = new SnapshotRegistry(tmp());
    first.add(entry(A));
    first.add(entry(B));
    first.markCorrupted(A, '252:1', 28);
    first.remove(B);
    const later = new SnapshotRegistry(tmp());
    expect(later.all()).toEqual(first.all());
    expect(later.get(A)?.corrupted).toEqual([{ device: '252:1', errCode: 28 }]);
    expect(JSON.parse(readFileSync(join(tmp(), REGISTRY_FILE), 'utf8'))).toMatchObject({ version: 1, snapshots: [{ id: A }] });
  });

  it('sets an unreadable file aside and starts empty', () => {
    writeFileSync(join(tmp(), REGISTRY_FILE), '{"version":2}');
    const r = new SnapshotRegistry(tmp());
    expect(r.all()).toEqual([]);
    expect(readdirSync(tmp()).filter((f) => f.startsWith(`${REGISTRY_FILE}.unreadable-`))).toHaveLength(1);
  });
});
