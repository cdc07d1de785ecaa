// What the Backend panel says about difference storage: what the module accepts (the dialect's
// capabilities, spec §0.2) and what this app creates with it (the create form's offeredModes),
// which differ on VAL-7.0/VAL-13: the module also takes range mode there, the app does not.
import type { Capabilities, StorageMode } from '../../../shared/schemas';
import { offeredModes, stretchesIntoDirectory } from '../snapshots/createForm';

const MODULE_WORDS: Record<StorageMode, string> = {
  file: 'an existing file',
  directory: 'a directory (an unnamed file in it)',
  block: 'a block device',
  ranges: 'sector ranges that user space appends when the module asks (range mode, APPEND_STORAGE)',
};

const APP_WORDS: Record<StorageMode, string> = {
  file: 'an existing file',
  directory: 'a directory',
  block: 'a block device',
  ranges: 'sector ranges',
};

export interface StorageSupport {
  /** What the module takes as difference storage. */
  module: string;
  /** What this app's create form (and its services) use. */
  app: string;
  /** Why a mode the module takes is not offered here; null when the two agree. */
  notOffered: string | null;
}

export function storageSupport(capabilities: Capabilities): StorageSupport {
  const module = `The module takes ${listWords(capabilities.storageModes.map((m) => MODULE_WORDS[m]))}.`;
  if (stretchesIntoDirectory(capabilities)) {
    return {
      module,
      // v1 (spec §6.4): the module only takes ranges; the stretch service makes them from files in a directory.
      app: 'This app asks for a directory on ext4 or xfs: its stretch service creates storage files there as the module asks for space and appends their sector ranges.',
      notOffered: null,
    };
  }
  const offered = offeredModes(capabilities);
  const app = `This app creates snapshots with ${listWords(offered.map((m) => APP_WORDS[m]))}; the module grows a file or directory storage itself.`;
  const missing = capabilities.storageModes.filter((m) => !offered.includes(m));
  if (!missing.includes('ranges')) return { module, app, notOffered: missing.length ? `Not offered: ${listWords(missing.map((m) => APP_WORDS[m]))}.` : null };
  return {
    module,
    app,
    // Spec §5.3 and §10: every low_free_space must be answered with APPEND_STORAGE, and VAL-7.0 was measured sending none after the first.
    notOffered: 'Range mode is not offered: nothing in this app answers the module\u2019s low_free_space requests with APPEND_STORAGE, so such a snapshot '
      + 'would overflow at its first copy-on-write; on VAL-7.0 the module was also measured sending no request after the first. '
      + 'blksnapctl snapshot_create without -f still creates one, for a program of your own that appends the storage.',
  };
}

function listWords(words: string[]): string {
  if (words.length <= 1) return words[0] ?? 'nothing';
  return `${words.slice(0, -1).join(', ')} or ${words.at(-1) ?? ''}`;
}
