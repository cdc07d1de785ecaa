/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** "1" in builds that may use the in-memory fake API (?fake=1): dev server, bench, screenshots. */
  readonly VITE_ALLOW_FAKE?: string;
}
