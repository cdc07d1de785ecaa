// Every command of blksnapctl, by name: the upstream tool's, then ours.
import { changedfiles } from './changedfiles';
import { doctor } from './doctor';
import { emuCreate, emuList, emuRead, emuRemove, emuWorkload, emuWrite } from './emulator';
import { snapshotWaitevent, snapshotWatcher } from './events';
import { snapshotAdd, snapshotCollect, snapshotCreate, snapshotDestroy, snapshotInfo, snapshotTake } from './snapshot';
import { attach, cbtinfo, changedRanges, detach, markdirtyblock, readcbtmap, version } from './tracker';
import type { Verb } from './verb';

const ALL: Verb[] = [
  version, attach, detach, cbtinfo, readcbtmap, changedRanges, markdirtyblock,
  snapshotCreate, snapshotAdd, snapshotTake, snapshotCollect, snapshotDestroy, snapshotInfo,
  snapshotWaitevent, snapshotWatcher,
  emuCreate, emuRemove, emuList, emuWrite, emuRead, emuWorkload, doctor, changedfiles,
];

export const VERBS: ReadonlyMap<string, Verb> = new Map(ALL.map((v) => [v.name, v]));
