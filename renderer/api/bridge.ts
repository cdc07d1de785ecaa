// The one global the Electron preload adds (contextBridge): declared once, here.
import type { BlksnapBridge } from '../../shared/wire';

declare global {
  interface Window {
    blksnap?: BlksnapBridge;
  }
}

export function preloadBridge(): BlksnapBridge | undefined {
  return typeof window === 'undefined' ? undefined : window.blksnap;
}
