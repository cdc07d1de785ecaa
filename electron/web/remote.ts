// Reaching the web UI from another machine. The app runs as root and the token in the URL is
// the key to every block device, so a non-loopback address is refused unless the operator asks
// for it explicitly (--allow-remote) AND gives TLS (--tls-cert, --tls-key): no token crosses a
// network in clear text. The simple way stays an SSH tunnel to the loopback address.
import { networkInterfaces, hostname } from 'node:os';
import { isLoopbackHost } from '../app/options';

export interface RemoteAccess {
  allowRemote: boolean;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
}

export const NO_REMOTE: RemoteAccess = { allowRemote: false, tlsCertFile: null, tlsKeyFile: null };

const WILDCARDS = ['0.0.0.0', '::', '[::]'];

export function sshTunnelHint(port: number): string {
  const p = port || 9731;
  return `ssh -L ${p}:127.0.0.1:${p} <server>, then open the URL it prints with 127.0.0.1`;
}

/** Why `host` may not be bound with `access`, with what to do instead; null when it may. */
export function remoteAccessProblem(host: string, port: number, access: RemoteAccess): string | null {
  if ((access.tlsCertFile === null) !== (access.tlsKeyFile === null)) return '--tls-cert and --tls-key go together: give both files';
  if (isLoopbackHost(bare(host))) return null;
  if (!access.allowRemote) {
    return `refusing to listen on ${host}: that exposes blksnap Manager (which controls this host's block devices) to the network. `
      + `Reach it through an SSH tunnel instead (${sshTunnelHint(port)}), or pass --allow-remote with --tls-cert and --tls-key`;
  }
  if (access.tlsCertFile === null) {
    return `refusing to listen on ${host} without TLS: the access token would cross the network in clear text. Pass --tls-cert <file> and --tls-key <file> with --allow-remote, or use an SSH tunnel (${sshTunnelHint(port)})`;
  }
  return null;
}

/** The name the printed URL uses: the bound address, or this host's name for a wildcard bind. */
export function urlHost(host: string): string {
  if (WILDCARDS.includes(host)) return hostname().toLowerCase();
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Host header values (name:port) a browser may send: the URL's name, the bound address, and for
 * a wildcard bind every address of this machine. Anything else is refused (DNS rebinding).
 */
export function allowedHostNames(host: string, port: number): string[] {
  const names = new Set<string>([urlHost(host)]);
  if (isLoopbackHost(bare(host))) for (const n of ['127.0.0.1', 'localhost', '[::1]']) names.add(n);
  if (WILDCARDS.includes(host)) {
    for (const n of ['127.0.0.1', 'localhost', '[::1]']) names.add(n);
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) names.add(a.family === 'IPv6' ? `[${a.address.toLowerCase()}]` : a.address);
    }
  }
  return [...names].map((n) => `${n.toLowerCase()}:${port}`);
}

function bare(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}
