// Samples the difference-storage usage of each live snapshot, keeps its fill history, and
// raises the fill warning once when a threshold is crossed (the math is in fill.ts).
import { stat } from 'node:fs/promises';
import type { FillSample } from '../../shared/contract';
import type { DiffStorageUsage } from '../../shared/schemas';
import { BlksnapError } from '../../shared/errors';
import { SECTOR_SIZE } from '../../shared/units';
import { isEmulator, type BlksnapControl } from '../control/types';
import type { ServiceConfig } from './config';
import { estimateTimeToFull, FillHistory, fillWarning, sameSample, sampleFromUsage, type Confidence, type FillEstimate } from './fill';
import { FILL_SAVE_INTERVAL_MS, type FillStore } from './fillStore';
import type { Notices } from './notices';
import type { PushBus } from './pushBus';
import type { RegistryView } from './registry';

const UNKNOWN_USAGE: DiffStorageUsage = {
  filledSectors: null, requestedSectors: null, capacitySectors: null, limitSectors: null, overflowed: null, source: 'not sampled yet',
};

export type FillSettings = Pick<ServiceConfig, 'fillHistoryLength' | 'fillRateWindowMs' | 'warnFillPercent' | 'warnTimeToFullSec'>;

/** What a snapshot summary shows of the fill. */
export interface FillStatus {
  usage: DiffStorageUsage;
  timeToFullSec: number | null;
  timeToFullConfidence: Confidence | null;
  warning: string | null;
}

/** The module's minimum chunk (chunk_minimum_shift 18) where the parameters cannot be read. */
const DEFAULT_CHUNK_BYTES = 256 * 1024;

export class FillMonitor {
  private readonly histories = new Map<string, FillHistory>();
  private readonly usage = new Map<string, DiffStorageUsage>();
  private savedAtMs = 0;
  private unsaved = false;
  private chunkBytes: number | null = null;

  constructor(
    private readonly control: BlksnapControl,
    private readonly registry: RegistryView,
    private readonly bus: PushBus,
    private readonly notices: Notices,
    private readonly settings: FillSettings,
    private readonly store: FillStore | null = null,
  ) {
    // Histories of snapshots the registry still knows survive a restart.
    for (const [id, samples] of Object.entries(store?.load() ?? {})) {
      if (!registry.get(id)) continue;
      const history = new FillHistory(settings.fillHistoryLength);
      for (const sample of samples) history.add(sample);
      this.histories.set(id, history);
    }
  }

  /** Writes the histories now if anything changed since the last save (close, and every few seconds). */
  flush(): void {
    if (!this.store || !this.unsaved) return;
    this.unsaved = false;
    this.savedAtMs = Date.now();
    try {
      this.store.save(this.all());
    } catch (err) {
      this.notices.reportOnce(err);
    }
  }

  /** One sample of each snapshot; a snapshot that vanished meanwhile is skipped. */
  async sample(ids: readonly string[]): Promise<void> {
    if (ids.length > 0 && this.chunkBytes === null) {
      const shift = (await this.control.parameters().catch(() => null))?.chunk_minimum_shift;
      this.chunkBytes = shift === undefined ? DEFAULT_CHUNK_BYTES : 2 ** shift;
    }
    for (const id of ids) {
      let usage: DiffStorageUsage;
      try {
        usage = await this.augmentUsage(id, await this.control.diffStorageUsage(id));
      } catch (err) {
        if (err instanceof BlksnapError && (err.code === 'ESRCH' || err.code === 'ENODEV')) continue;
        throw err;
      }
      this.usage.set(id, usage);
      const history = this.histories.get(id) ?? new FillHistory(this.settings.fillHistoryLength);
      this.histories.set(id, history);
      const sample = sampleFromUsage(usage, Date.now());
      const changed = !sameSample(history.last(), sample);
      history.add(sample);
      if (changed) this.bus.publish('fill', { id, sample });
      this.unsaved ||= changed;
      this.updateWarning(id, history);
    }
    if (Date.now() - this.savedAtMs >= FILL_SAVE_INTERVAL_MS) this.flush();
  }

  status(id: string): FillStatus {
    const history = this.histories.get(id);
    const estimate = history ? this.estimate(history) : null;
    return {
      usage: this.usage.get(id) ?? UNKNOWN_USAGE,
      timeToFullSec: estimate?.seconds ?? null,
      timeToFullConfidence: estimate?.confidence ?? null,
      warning: history?.warning ?? null,
    };
  }

  history(id: string): FillSample[] {
    return this.histories.get(id)?.list() ?? [];
  }

  /** Every snapshot's history (the support bundle). */
  all(): Record<string, FillSample[]> {
    const out: Record<string, FillSample[]> = {};
    for (const [id, history] of this.histories) out[id] = history.list();
    return out;
  }

  forget(id: string): void {
    // Not `unsaved ||= delete(...)`: that skips the delete whenever something is unsaved already.
    if (this.histories.delete(id)) this.unsaved = true;
    this.usage.delete(id);
  }

  private updateWarning(id: string, history: FillHistory): void {
    const last = history.last();
    if (!last) return;
    const warning = fillWarning(last, this.estimate(history)?.seconds ?? null, this.settings);
    if (warning && !history.warning) this.notices.app('warning', 'fill', `Snapshot ${id}: ${warning}`, { snapshotId: id });
    history.warning = warning;
  }

  private estimate(history: FillHistory): FillEstimate | null {
    return estimateTimeToFull(history.list(), { windowMs: this.settings.fillRateWindowMs, chunkBytes: this.chunkBytes ?? DEFAULT_CHUNK_BYTES });
  }

  /**
   * Fill in what the app itself knows: the limit it asked for (on v1, where the module has none,
   * the stretch service's limit) and, on the real module, the storage file's size.
   */
  private async augmentUsage(id: string, usage: DiffStorageUsage): Promise<DiffStorageUsage> {
    const entry = this.registry.get(id);
    if (!entry) return usage;
    const out = { ...usage };
    if (out.limitSectors === null && (!isEmulator(this.control) || this.control.info.dialect === 'v1')) {
      out.limitSectors = entry.limitSectors;
      out.source += this.control.info.dialect === 'v1' ? "; limit = the stretch service's" : '; limit as requested at create';
    }
    if (isEmulator(this.control)) return out;
    if (out.capacitySectors === null && entry.diffStoragePath) {
      const st = await stat(entry.diffStoragePath).catch(() => null);
      if (st?.isFile()) {
        out.capacitySectors = Math.floor(st.size / SECTOR_SIZE);
        out.source += `; allocated = size of ${entry.diffStoragePath}`;
      }
    }
    return out;
  }
}
