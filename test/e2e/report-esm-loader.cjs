// Preloaded by npm-start.spec.ts (node --require, which loads no ES module itself): when the URL
// is printed, says on stderr whether an ES module had been loaded by then. Node runs every ES
// module as a module job (internal/modules/esm/module_job); CommonJS needs none.
'use strict';
const write = process.stdout.write.bind(process.stdout);
let said = false;
process.stdout.write = (chunk, ...rest) => {
  if (!said && String(chunk).includes('token=')) {
    said = true;
    const esm = process.moduleLoadList.includes('NativeModule internal/modules/esm/module_job');
    process.stderr.write(`ES modules run by the URL: ${esm ? 'some' : 'none'}\n`);
  }
  return write(chunk, ...rest);
};
