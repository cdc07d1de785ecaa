import { defineConfig } from 'vite';
import { inlineCss } from './build/inline-css.mjs';

// The renderer: served by the web mode or loaded by Electron from dist/renderer.
export default defineConfig({
  root: 'renderer',
  base: './',
  publicDir: false,
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
  },
  oxc: { jsx: { runtime: 'automatic' } },
  // The stylesheet inside index.html: the first paint waits for the page alone.
  plugins: [inlineCss()],
});
