import { type FormEvent, memo, useState } from 'react';
import type { DeviceSummary } from '../../../shared/contract';
import { useApi } from '../../app/apiContext';
import { ErrorMessage, Section } from '../../components/common';
import { useAction } from '../../components/useAction';
import { parseSectorRanges } from './dirtyRanges';

export const MarkDirtyForm = memo(function MarkDirtyForm({ device, onMarked }: { device: DeviceSummary; onMarked: () => void }) {
  const api = useApi();
  const [text, setText] = useState('');
  const [validation, setValidation] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const action = useAction(async (ranges: { offsetSectors: number; countSectors: number }[]) => {
    await api.markDirty({ device: device.path, ranges });
  });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const parsed = parseSectorRanges(text, device.capacitySectors);
    if (!parsed.ok) {
      setValidation(parsed.error);
      return;
    }
    setValidation(null);
    if (await action.run(parsed.ranges)) {
      setDone(`Marked ${parsed.ranges.length} range${parsed.ranges.length === 1 ? '' : 's'} dirty: the next incremental backup reads them.`);
      onMarked();
    }
  };

  return (
    <Section title="Mark blocks dirty">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor="dirty-ranges">Sector ranges (first sector and count, one per line)</label>
        <textarea
          id="dirty-ranges"
          rows={3}
          value={text}
          placeholder={'2048 128\n409600+8'}
          aria-invalid={validation !== null}
          onChange={(e) => setText(e.target.value)}
        />
        <p className="small muted">
          Blocks touched by these ranges get the current change number in the read map, so the next incremental backup reads them again
          (for example after restoring data into them). Device: {device.capacitySectors.toLocaleString('en-US')} sectors.
        </p>
        <ErrorMessage message={validation ?? action.error} />
        {done && <p className="success" role="status">{done}</p>}
        <button type="submit" disabled={action.pending}>Mark dirty</button>
      </form>
    </Section>
  );
});
