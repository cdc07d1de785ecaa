// The method names a client builds its functions from (shared/apiMethods.ts) are the contract's.
import { describe, expect, it } from 'vitest';
import { API_METHODS } from '../../shared/apiMethods';
import { API } from '../../shared/contract';
import { apiOver } from '../../renderer/api/client';

describe('API_METHODS', () => {
  it('names every method of the contract once, and nothing else', () => {
    expect(new Set(API_METHODS).size).toBe(API_METHODS.length);
    expect([...API_METHODS].sort()).toEqual(Object.keys(API).sort());
  });

  it('gives the renderer one function per contract method, each calling through with its name', async () => {
    const calls: string[] = [];
    const api = apiOver(async (method) => {
      calls.push(method);
      return { ok: true, result: method };
    });
    expect(Object.keys(api).sort()).toEqual(Object.keys(API).sort());
    await expect(api.listDevices({})).resolves.toBe('listDevices');
    expect(calls).toEqual(['listDevices']);
  });
});
