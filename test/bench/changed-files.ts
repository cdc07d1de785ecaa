// "Which files changed" at scale (issue 18 target: 100,000 changed ranges on a filesystem of
// 1,000,000 files resolved in under 30 s, with partial results streaming meanwhile).
// Prints figures only. Run: npx tsx test/bench/changed-files.ts [--files 1000000] [--ranges 100000] [--dir /path]
//
// Setup (not timed against the target, printed): a tree of small files (1 to 4,000 bytes, so
// each owns one 4 KiB block; 1,000 per directory) and `mke2fs -d` of it into an ext4 image.
// The image is kept in --dir and reused by later runs with the same --files. The resolver
// then reads the image file as it reads a kernel snapshot image (no emulator copy: on the
// emulator that copy is an extra cost, printed separately by the unit tests' timing).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { seededRandom } from '../../shared/random';
import { ChangedFilesResolver, type ResolverHost } from '../../electron/resolver';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

const FILES = Number(arg('--files', '1000000'));
const RANGES = Number(arg('--ranges', '100000'));
const DIR = arg('--dir', path.join(os.tmpdir(), `blksnap-bench-changed-files-${FILES}`));
const CBT_BLOCK = 16 * 1024;
const TARGET_MS = 30_000;
const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };

function missingTool(): string | null {
  for (const tool of ['mke2fs', 'debugfs', 'dumpe2fs', 'blkid']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { env, stdio: 'ignore' });
    } catch {
      return tool;
    }
  }
  return null;
}

function buildImage(image: string): number {
  // The source tree on tmpfs where there is one: writing a million small files to disk is slow.
  const src = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/blksnap-bench-src-') : path.join(DIR, 'src');
  const startedAt = Date.now();
  fs.rmSync(src, { recursive: true, force: true });
  const random = seededRandom(18);
  const payload = Buffer.alloc(4000, 0x61);
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(src, `d${Math.floor(i / 1_000_000)}`, `d${Math.floor(i / 1000) % 1000}`);
    if (i % 1000 === 0) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `f${i}`), payload.subarray(0, 1 + Math.floor(random() * 3999)));
  }
  const treeMs = Date.now() - startedAt;
  const sizeBytes = Math.ceil((FILES * 4096 * 1.3 + 256 * 2 ** 20) / 2 ** 20) * 2 ** 20;
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-N', String(FILES + 10_000), '-d', src, `${image}.tmp`, `${sizeBytes / 1024}k`], { env, stdio: 'inherit' });
  fs.renameSync(`${image}.tmp`, image);
  fs.rmSync(src, { recursive: true, force: true });
  console.log(`setup: ${FILES} files written in ${(treeMs / 1000).toFixed(1)} s, mke2fs -d in ${((Date.now() - startedAt - treeMs) / 1000).toFixed(1)} s (${(sizeBytes / 2 ** 30).toFixed(2)} GiB image, kept in ${DIR})`);
  return sizeBytes;
}

async function main(): Promise<void> {
  const tool = missingTool();
  if (tool) {
    console.log(`skipped: ${tool} is not installed (e2fsprogs)`);
    return;
  }
  fs.mkdirSync(DIR, { recursive: true });
  const image = path.join(DIR, 'fs.img');
  const sizeBytes = fs.existsSync(image) ? fs.statSync(image).size : buildImage(image);
  if (fs.existsSync(image)) console.log(`image: ${image} (${(sizeBytes / 2 ** 30).toFixed(2)} GiB, ${FILES} files)`);
  // RANGES changed CBT blocks, never adjacent, so they stay RANGES separate ranges.
  const blockCount = Math.floor(sizeBytes / CBT_BLOCK);
  const map = new Uint8Array(blockCount);
  const random = seededRandom(100);
  let placed = 0;
  while (placed < RANGES) {
    const b = 2 * Math.floor(random() * (blockCount / 2));
    if (map[b]) continue;
    map[b] = 2;
    placed++;
  }
  const host: ResolverHost = {
    cbtInfo: async () => ({ deviceCapacityBytes: sizeBytes, blockSizeBytes: CBT_BLOCK, blockCount, generationId: randomUUID(), changesNumber: 2 }),
    readMap: async () => map,
    image: async () => ({ label: image, path: image, capacityBytes: sizeBytes }),
    mountPoint: async () => null,
  };
  const resolver = new ChangedFilesResolver(host);
  const startedAt = Date.now();
  const { jobId } = await resolver.start({ device: '/dev/bench', sinceChangeNumber: 1 });
  let firstPartialMs: number | null = null;
  let phase = '';
  const phases: string[] = [];
  let pages = 0;
  let worstPageMs = 0;
  for (;;) {
    const before = performance.now();
    const page = resolver.page({ jobId, limit: 100 });
    worstPageMs = Math.max(worstPageMs, performance.now() - before);
    pages++;
    if (firstPartialMs === null && page.fileCount > 0) firstPartialMs = Date.now() - startedAt;
    if (page.progress.phase !== phase) {
      phase = page.progress.phase;
      phases.push(`${((Date.now() - startedAt) / 1000).toFixed(1)} s ${phase}`);
    }
    if (page.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const totalMs = Date.now() - startedAt;
  const page = resolver.page({ jobId, limit: 5 });
  const t = page.totals;
  console.log(`phases: ${phases.join(' | ')}`);
  console.log(`state ${page.state}${page.reason ? ` (${page.reason})` : ''}; ${page.fileCount} changed files of ${page.progress.filesSeen} seen; top: ${page.files.map((f) => f.path).join(', ')}`);
  console.log(`totals: incremental ${t.incrementalBytes}, files ${t.fileBytes}, metadata ${t.metadataBytes}, free ${t.freeBytes}, unresolved ${t.unresolvedBytes}`);
  console.log(`first partial result after ${firstPartialMs ?? '-'} ms; ${pages} pages read while running, slowest ${worstPageMs.toFixed(1)} ms`);
  console.log(`resolve ${RANGES} changed ranges on ${FILES} files: ${(totalMs / 1000).toFixed(1)} s (target < ${TARGET_MS / 1000} s, ratio ${(totalMs / TARGET_MS).toFixed(2)})`);
}

await main();
