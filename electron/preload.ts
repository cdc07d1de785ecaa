// The preload: exposes one object, window.blksnap (BlksnapBridge), and decides nothing.
// The main process validates every call and checks that it comes from our page.
import { contextBridge, ipcRenderer } from 'electron';
import { IPC, type BlksnapBridge, type CallOutcome } from '../shared/wire';

const listeners = new Map<string, Set<(payload: unknown) => void>>();

ipcRenderer.on(IPC.push, (_event, topic: string, payload: unknown) => {
  for (const listener of listeners.get(topic) ?? []) listener(payload);
});

const bridge: BlksnapBridge = {
  invoke: (method, args) => ipcRenderer.invoke(IPC.callPrefix + method, args) as Promise<CallOutcome>,
  subscribe(topic, listener) {
    const set = listeners.get(topic) ?? new Set();
    listeners.set(topic, set);
    if (set.size === 0) void ipcRenderer.invoke(IPC.subscribe, topic);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size > 0) return;
      listeners.delete(topic);
      void ipcRenderer.invoke(IPC.unsubscribe, topic);
    };
  },
};

contextBridge.exposeInMainWorld('blksnap', bridge);
