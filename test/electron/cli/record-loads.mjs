// node --import tsx --import ./record-loads.mjs: appends the URL of every module the ES module
// loader loads to the file $RECORD_LOADS (kernelLazy.test.ts). A module imported statically loads
// before anything runs; one behind import() loads only when that runs, as the bundle evaluates it.
import { register } from 'node:module';

register(`data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (process.env.RECORD_LOADS && url.startsWith('file:')) appendFileSync(process.env.RECORD_LOADS, url + '\\n');
  return next(url, context);
}
`)}`);
