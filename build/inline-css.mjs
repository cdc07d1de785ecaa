// The renderer's stylesheet goes into index.html as a <style> element (both CSPs allow inline
// styles, not inline scripts): the page's first paint then waits for the page alone, not for a
// second request that a busy web server answers late (test/bench/cold-start.ts: in the web mode
// the device list is in the page, and its stylesheet arrived 100-400 ms after it at load 7).
// The .css file stays in assets/ (a lazy chunk may still list it).

const LINK = /<link rel="stylesheet"(?: crossorigin)? href="\.\/(assets\/[^"]+\.css)">/g;

/**
 * `html` with each `<link rel="stylesheet">` to one of `stylesheets` (file name → CSS) replaced
 * by its CSS in a <style> element; a link to anything else stays.
 */
export function inlineStylesheets(html, stylesheets) {
  return html.replace(LINK, (link, file) => {
    const css = stylesheets.get(file);
    if (css === undefined) return link;
    // A "</style" in the CSS (inside a string or comment) would end the element early.
    return `<style>${css.replace(/<\/style/gi, '<\\/style')}</style>`;
  });
}

/** The vite plugin: after vite has written index.html into the bundle, inline its stylesheets. */
export function inlineCss() {
  return {
    name: 'blksnap-inline-css',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const html = bundle['index.html'];
      if (!html || html.type !== 'asset' || typeof html.source !== 'string') return;
      const stylesheets = new Map();
      for (const [file, item] of Object.entries(bundle)) {
        if (item.type === 'asset' && file.endsWith('.css')) stylesheets.set(file, String(item.source));
      }
      html.source = inlineStylesheets(html.source, stylesheets);
    },
  };
}
