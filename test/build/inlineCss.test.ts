// The renderer's stylesheet is inlined into index.html at build time (build/inline-css.mjs), so
// the page's first paint waits for no second request.
import { describe, expect, it } from 'vitest';
import { inlineStylesheets } from '../../build/inline-css.mjs';

const head = (links: string) => `<head>\n<script type="module" crossorigin src="./assets/index-A.js"></script>\n${links}\n</head>`;

describe('inlineStylesheets', () => {
  it('puts each built stylesheet in a <style> element where its link was', () => {
    const css = new Map([['assets/index-B.css', 'body{margin:0}'], ['assets/other-C.css', '.x{color:red}']]);
    const html = head('<link rel="stylesheet" crossorigin href="./assets/index-B.css">\n<link rel="stylesheet" href="./assets/other-C.css">');
    expect(inlineStylesheets(html, css)).toBe(head('<style>body{margin:0}</style>\n<style>.x{color:red}</style>'));
  });

  it('leaves a link to a file it does not have, and the other tags, as they are', () => {
    const html = head('<link rel="stylesheet" crossorigin href="./assets/gone-D.css">\n<link rel="modulepreload" crossorigin href="./assets/common-E.js">');
    expect(inlineStylesheets(html, new Map())).toBe(html);
  });

  it('keeps a "</style" inside the CSS from ending the element', () => {
    const css = new Map([['assets/index-B.css', '.a::after{content:"</style><script>x</script>"} /* </STYLE> */']]);
    const out = inlineStylesheets(head('<link rel="stylesheet" href="./assets/index-B.css">'), css);
    expect(out.match(/<\/style/gi)).toHaveLength(1);
    expect(out).toContain('content:"<\\/style><script>x</script>"');
  });
});
