// What an admin does with a snapshot image next: copy-able commands (a read-only mount with the
// options its file system needs, found by the service's probe; a full copy; the changed ranges
// since N), and on the emulator a download of a byte range.
import { type FormEvent, memo, useEffect, useState } from 'react';
import type { DeviceSummary, ImageFileSystem } from '../../../shared/contract';
import { mountCommand, partcloneCommand } from '../../../shared/imageMount';
import { formatBytes, parseSize } from '../../../shared/units';
import { useApi } from '../../app/apiContext';
import { errorMessage } from '../../app/errors';
import { ErrorMessage, errorCodeLabel, Section, storageRanOut } from '../../components/common';
import { downloadBytes } from '../../components/download';
import { useAction } from '../../components/useAction';
import { useAppStore } from '../../store';

const MAX_DOWNLOAD_BYTES = 64 * 2 ** 20;

export interface ImageCommandItem { name: string; label: string; command: string | null }

/** The commands for the image, by the file system found on it (null while it is being checked). */
export function imageCommands(device: string, image: string, sinceChangeNumber: number, fs: ImageFileSystem | null): ImageCommandItem[] {
  const partclone = partcloneCommand(fs, image);
  return [
    { name: 'mount', ...mountCommand(fs, image) },
    { name: 'full copy', label: 'Copy the whole image', command: `sudo dd if=${image} of=backup.img bs=4M status=progress` },
    ...(partclone ? [{ name: 'partclone', ...partclone }] : []),
    {
      name: 'changed blocks',
      label: `Copy the blocks with a change number above ${sinceChangeNumber} into an existing full copy`,
      command: `blksnapctl changed_ranges -d ${device} -s ${sinceChangeNumber} --csv | tail -n +2 | while IFS=, read ofs cnt; do sudo dd if=${image} of=backup.img bs=512 skip=$ofs seek=$ofs count=$cnt conv=notrunc status=none; done`,
    },
  ];
}

/** What the service's read-only probe found on the image; null until it answers. A failed call is an unknown type, with why. */
function useImageFileSystem(device: string, image: string): ImageFileSystem | null {
  const api = useApi();
  const [found, setFound] = useState<ImageFileSystem | null>(null);
  useEffect(() => {
    let cancelled = false;
    api.imageFileSystem({ device }).then(
      (fs) => { if (!cancelled) setFound(fs); },
      (err: unknown) => { if (!cancelled) setFound({ image, type: null, usage: null, partitionTable: null, problem: `it could not be checked: ${errorMessage(err)}` }); },
    );
    return () => { cancelled = true; };
  }, [api, device, image]);
  return found?.image === image ? found : null;
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const copy = () => {
    const clipboard = typeof navigator === 'undefined' ? undefined : navigator.clipboard;
    if (!clipboard) return setCopied('no');
    clipboard.writeText(text).then(() => setCopied('yes'), () => setCopied('no'));
  };
  return (
    <button type="button" className="copy-button" onClick={copy} aria-label={`Copy the ${label} command`}>
      {copied === 'yes' ? 'Copied' : copied === 'no' ? 'Select and copy' : 'Copy'}
    </button>
  );
}

export const ImageAccess = memo(function ImageAccess({ device, sinceChangeNumber, changedBlocks = null }: { device: DeviceSummary; sinceChangeNumber: number; changedBlocks?: number | null }) {
  const emulator = useAppStore((s) => s.backend?.kind === 'emulator');
  const storageOverflowed = useAppStore((s) => s.snapshots.some((snap) => snap.id === device.snapshotId && snap.usage.overflowed));
  const name = device.snapshot?.image ?? '';
  if (!name) return null;
  const image = `/dev/${name}`;
  const errorCode = device.snapshot?.errorCode ?? 0;
  if (errorCode !== 0) {
    // A corrupted area fails every read of its image with EIO (spec §3.6): no command here could make a backup.
    return (
      <Section title="Reading the snapshot image">
        <div className="banner banner-error" role="alert">
          <strong>{image} cannot be read: its area is corrupted (error code {errorCodeLabel(errorCode)}).</strong> Every read of the image fails
          with EIO, so no backup can be made from it. {device.path} itself is intact. Destroy the snapshot and take a new one
          {storageRanOut(errorCode) ? ', with more difference storage.' : '.'}
        </div>
      </Section>
    );
  }
  return (
    <Section title="Reading the snapshot image">
      {storageOverflowed && (
        // The storage is shared: each device's area goes corrupted at its next copy (spec §3.6); one that copies nothing stays healthy.
        <div className="banner banner-warning" role="alert">
          <strong>The snapshot's difference storage overflowed.</strong> {image} still reads, but its area goes corrupted (reads fail with
          EIO) at the next write to {device.path} that needs a chunk copied. Back it up now, or destroy the snapshot and take a new one.
        </div>
      )}
      <p className="small">
        {/* Spec §3.5: images accept writes, which go to the difference storage and mark the CBT maps (§3.3); the original is never written. */}
        <code>{image}</code> shows {device.path} as it was at the take. Writes to it would go to the difference storage (never to{' '}
        {device.path}) and mark its blocks changed, so these commands only read it:
      </p>
      <CommandList device={device.path} image={image} sinceChangeNumber={sinceChangeNumber} changedBlocks={changedBlocks} />
      {changedBlocks === 0 && <p className="small muted">No block has a change number above {sinceChangeNumber}: a full copy made then needs nothing from this image.</p>}
      <p className="small muted">The image has no partition table scan: for a whole-disk image use kpartx or a loop device with partscan.</p>
      {emulator && <RangeDownload image={image} capacityBytes={device.capacitySectors * 512} />}
    </Section>
  );
});

function CommandList({ device, image, sinceChangeNumber, changedBlocks }: { device: string; image: string; sinceChangeNumber: number; changedBlocks: number | null }) {
  const fs = useImageFileSystem(device, image);
  return (
    <ul className="command-list" aria-busy={fs === null}>
      {/* With nothing changed since N, copying the changed blocks would copy nothing: that command is left out and the list says so. */}
      {imageCommands(device, image, sinceChangeNumber, fs).filter((c) => c.name !== 'changed blocks' || changedBlocks !== 0).map((c) => (
        <li key={c.name}>
          <span className="small muted">{c.label}</span>
          {c.command !== null && (
            <div className="command-row">
              <code className="command">{c.command}</code>
              <CopyButton text={c.command} label={c.name} />
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

function RangeDownload({ image, capacityBytes }: { image: string; capacityBytes: number }) {
  const api = useApi();
  const [offsetText, setOffsetText] = useState('0');
  const [lengthText, setLengthText] = useState('1M');
  const [invalid, setInvalid] = useState<string | null>(null);
  const download = useAction(async (offsetBytes: number, lengthBytes: number) => {
    const bytes = await api.emuRead({ path: image, offsetBytes, lengthBytes });
    downloadBytes(`${image.replace(/^\/dev\//, '')}-${offsetBytes}-${lengthBytes}.img`, bytes);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const offset = parseSize(offsetText);
    const length = parseSize(lengthText);
    if (!offset.ok) return setInvalid(`Offset: ${offset.error}.`);
    if (!length.ok) return setInvalid(`Length: ${length.error}.`);
    if (length.bytes <= 0 || length.bytes > MAX_DOWNLOAD_BYTES) return setInvalid(`The length is from 1 byte to ${formatBytes(MAX_DOWNLOAD_BYTES)}.`);
    if (offset.bytes + length.bytes > capacityBytes) return setInvalid(`The range ends past the image's end (${formatBytes(capacityBytes)}).`);
    setInvalid(null);
    void download.run(offset.bytes, length.bytes);
  };
  return (
    <form className="spaced" onSubmit={submit} noValidate aria-label="Download a range of the image">
      <h3>Download a range (emulator)</h3>
      <div className="form-row">
        <div className="field">
          <label htmlFor="image-offset">Offset</label>
          <input id="image-offset" value={offsetText} onChange={(e) => { setOffsetText(e.target.value); setInvalid(null); }} aria-invalid={invalid?.startsWith('Offset') ?? false} />
        </div>
        <div className="field">
          <label htmlFor="image-length">Length</label>
          <input id="image-length" value={lengthText} onChange={(e) => { setLengthText(e.target.value); setInvalid(null); }} aria-invalid={invalid !== null && !invalid.startsWith('Offset')} />
        </div>
        <button type="submit" disabled={download.pending}>{download.pending ? 'Reading…' : 'Download'}</button>
      </div>
      <ErrorMessage message={invalid ?? download.error} onDismiss={invalid ? () => setInvalid(null) : download.clearError} />
    </form>
  );
}
