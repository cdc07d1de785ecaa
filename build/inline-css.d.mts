// Types of build/inline-css.mjs (vite.config.ts and its test import it).
import type { Plugin } from 'vite';

export function inlineStylesheets(html: string, stylesheets: ReadonlyMap<string, string>): string;
export function inlineCss(): Plugin;
