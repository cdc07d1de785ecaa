// `blksnapctl doctor`: what was found, which backend and dialect and why, what is missing and
// how to fix it; `--bundle FILE` writes a support bundle (the service's, or these facts plus
// the recent events).
import { copyFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BlksnapApi, DoctorReport } from '../../../shared/contract';
import { withHelp, type Verb } from './verb';

export function doctorLines(report: DoctorReport): string[] {
  const b = report.backend;
  const v = b.version;
  const lines = [
    `backend: ${b.kind}`,
    `dialect: ${report.dialect ?? 'none'} (${b.dialectLabel}${b.verified ? '' : ', unverified'})`,
    `version: ${v.major}.${v.minor}.${v.revision}.${v.build}`,
    `reason: ${b.reason}`,
    `kernel release: ${report.kernelRelease}`,
  ];
  if (b.controlNode) lines.push(`control node: ${b.controlNode}`);
  if (b.stateDir) lines.push(`emulator state: ${b.stateDir}`);
  lines.push('modules:');
  for (const m of report.modules) {
    const params = Object.entries(m.parameters).map(([k, n]) => `${k}=${n}`).join(' ');
    lines.push(`  ${m.name}: ${m.loaded ? 'loaded' : 'not loaded'}${m.version ? `, version ${m.version}` : ''}${params ? `; ${params}` : ''}`);
  }
  lines.push('nodes:');
  for (const n of report.nodes) lines.push(`  ${n.path}: ${n.exists ? `present, mode ${n.mode ?? '?'}` : 'missing'} (${n.note})`);
  if (report.reasons.length) lines.push('why:', ...report.reasons.map((r) => `  - ${r}`));
  if (report.fixes.length) lines.push('to fix:', ...report.fixes.map((f) => `  - ${f}`));
  return lines;
}

/** The service's bundle copied to `file`, or (where it has none) the report and recent events. */
async function writeBundle(api: BlksnapApi, report: DoctorReport, file: string): Promise<'service' | 'cli'> {
  try {
    const { path } = await api.supportBundle({});
    if (resolve(path) !== resolve(file)) await copyFile(path, file);
    return 'service';
  } catch {
    const events = await api.eventHistory({ limit: 1000 }).catch(() => []);
    const bundle = { generatedAt: new Date().toISOString(), tool: 'blksnapctl', doctor: report, events };
    await writeFile(file, JSON.stringify(bundle, null, 2) + '\n');
    return 'cli';
  }
}

export const doctor: Verb = {
  name: 'doctor',
  purpose: 'blksnapctl: report the kernel, blksnap modules and nodes, the chosen backend and dialect and why, and what to fix.',
  options: withHelp({ long: 'bundle', short: 'b', kind: 'value', description: 'Also write a support bundle (these facts, recent events, the app log) to this file.' }),
  async run(ctx, args) {
    const api = await ctx.api();
    const report = await api.doctor({});
    for (const line of doctorLines(report)) ctx.out.line(line);
    const file = args.value('bundle');
    if (file === undefined) {
      ctx.out.record(report);
      return;
    }
    const source = await writeBundle(api, report, file);
    ctx.out.line(`support bundle: ${file}`);
    ctx.out.record({ ...report, bundle: { file, source } });
  },
};
