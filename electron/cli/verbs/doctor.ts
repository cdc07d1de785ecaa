// `blksnapctl doctor`: what was found, which backend and dialect and why, what is missing and
// how to fix it; `--bundle FILE` writes a support bundle (the service's, or these facts plus
// the recent events).
import { copyFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BlksnapApi, DoctorReport } from '../../../shared/contract';
import { toErrorInfo } from '../../../shared/errors';
import type { BackendInfo } from '../../../shared/schemas';
import type { DoctorFacts } from '../../control/kernel/doctor';
import { hasCode } from './common';
import { withHelp, type Verb, type VerbContext } from './verb';

export function doctorLines(report: DoctorFacts, backend: BackendInfo | null): string[] {
  const lines: string[] = [];
  if (backend) {
    const v = backend.version;
    lines.push(
      `backend: ${backend.kind}, ${backend.dialectLabel} ${v.major}.${v.minor}.${v.revision}.${v.build}${backend.verified ? '' : ' (unverified dialect)'}`,
      `reason: ${backend.reason}`,
    );
    if (backend.controlNode) lines.push(`control node: ${backend.controlNode}`);
    if (backend.stateDir) lines.push(`emulator state: ${backend.stateDir}`);
  } else {
    lines.push('backend: none available');
  }
  lines.push(`kernel release: ${report.kernelRelease}`, `kernel dialect: ${report.dialect ?? 'none'}`, 'modules:');
  for (const m of report.modules) {
    const params = Object.entries(m.parameters).map(([k, n]) => `${k}=${n}`).join(' ');
    lines.push(`  ${m.name}: ${m.loaded ? 'loaded' : 'not loaded'}${m.version ? `, version ${m.version}` : ''}${m.note ? ` (${m.note})` : ''}${params ? `; ${params}` : ''}`);
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

/** Where the backend cannot start (--backend kernel without a module): the facts, then the error. */
async function reportWithoutBackend(ctx: VerbContext, file: string | undefined, err: unknown): Promise<never> {
  // The kernel's probe and dialect tables only here: the other verbs' runs never load them.
  const { collectDoctor } = await import('../../control/kernel/doctor');
  const facts = collectDoctor();
  for (const line of doctorLines(facts, null)) ctx.out.line(line);
  const error = toErrorInfo(err);
  if (file !== undefined) {
    await writeFile(file, JSON.stringify({ generatedAt: new Date().toISOString(), tool: 'blksnapctl', doctor: facts, backendError: error }, null, 2) + '\n');
    ctx.out.line(`support bundle: ${file}`);
  }
  ctx.out.record({ ...facts, backend: null, backendError: error, bundle: file ?? null });
  throw err;
}

export const doctor: Verb = {
  name: 'doctor',
  purpose: 'blksnapctl: report the kernel, blksnap modules and nodes, the chosen backend and dialect and why, and what to fix.',
  options: withHelp({ long: 'bundle', short: 'b', kind: 'value', description: 'Also write a support bundle (these facts, recent events, the app log) to this file.' }),
  async run(ctx, args) {
    const file = args.value('bundle');
    let api: BlksnapApi;
    try {
      api = await ctx.api();
    } catch (err) {
      if (!hasCode(err, 'EBACKEND')) throw err;
      return reportWithoutBackend(ctx, file, err);
    }
    const report = await api.doctor({});
    // On the emulator the service's report has its row (flavour, state folder, parameters) among the modules.
    for (const line of doctorLines(report, report.backend)) ctx.out.line(line);
    if (file === undefined) {
      ctx.out.record(report);
      return;
    }
    const source = await writeBundle(api, report, file);
    ctx.out.line(`support bundle: ${file}`);
    ctx.out.record({ ...report, bundle: { file, source } });
  },
};
