/** Saves text as a file through the browser's download (works in Electron and web mode). */
export function downloadText(filename: string, text: string, mime: string): void {
  saveBlob(filename, new Blob([text], { type: mime }));
}

/** Saves bytes as a file (a range of a snapshot image on the emulator). */
export function downloadBytes(filename: string, bytes: Uint8Array): void {
  saveBlob(filename, new Blob([bytes.slice()], { type: 'application/octet-stream' }));
}

function saveBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
