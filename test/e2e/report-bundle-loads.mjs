// Preloaded into the web mode by first-page.spec.ts (node --import): says on stderr which bundle
// it compiles and how many pages were requested by then. The code cache runner compiles each
// bundle with vm.Script (electron/app/codeCache.ts), so that is where a bundle's load shows.
import http from 'node:http';
import { basename } from 'node:path';
import vm from 'node:vm';

let requests = 0;
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, ...args) {
  if (event === 'request') requests += 1;
  return emit.call(this, event, ...args);
};
const Script = vm.Script;
vm.Script = class extends Script {
  constructor(code, options) {
    super(code, options);
    if (typeof options?.filename === 'string') process.stderr.write(`bundle loaded: ${basename(options.filename)} after ${requests} request(s)\n`);
  }
};
