// The metrics listener's web config file, in the format of the Prometheus exporters
// (exporter-toolkit's web-config.yml), so an admin's existing file and habits carry over:
//
//   tls_server_config:
//     cert_file: server.crt        # relative paths: from the file's directory
//     key_file: server.key
//     client_ca_file: ca.crt       # optional: require client certificates signed by it
//   basic_auth_users:
//     prometheus: $2y$10$...       # bcrypt hashes (htpasswd -nBC 10 "" | tr -d ':\n')
//
// No YAML library is installed and this shape is two levels of `key: value`, so it is read by
// the small parser below, which refuses anything else (naming the line) instead of guessing:
// a setting that guards access must never be silently ignored.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isBcryptHash } from './bcrypt';

export interface WebConfig {
  tls: { certFile: string; keyFile: string; clientCaFile: string | null } | null;
  /** user → bcrypt hash; empty = no basic auth. */
  basicAuthUsers: Map<string, string>;
}

export class WebConfigError extends Error {}

const SECTIONS = {
  tls_server_config: ['cert_file', 'key_file', 'client_ca_file'],
  basic_auth_users: null, // any user name
} as const;

function unquote(raw: string, where: string): string {
  const v = raw.trim();
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v.slice(1, -1);
  if (/^["']/.test(v)) throw new WebConfigError(`${where}: unterminated quoted value`);
  return v;
}

/** Parses the text of a web config; `baseDir` resolves relative file names. */
export function parseWebConfig(text: string, baseDir: string, name = 'web config'): WebConfig {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  let currentName = '';
  text.split(/\r?\n/).forEach((line, i) => {
    const where = `${name} line ${i + 1}`;
    const content = line.replace(/(^|\s)#.*$/, '');
    if (content.trim() === '') return;
    if (/^\S/.test(content)) {
      const m = /^([a-z_]+):\s*(\{\s*\})?\s*$/.exec(content);
      if (!m || !Object.hasOwn(SECTIONS, m[1]!)) throw new WebConfigError(`${where}: expected one of ${Object.keys(SECTIONS).join(', ')} followed by ":" (got "${content.trim()}")`);
      if (sections.has(m[1]!)) throw new WebConfigError(`${where}: ${m[1]} given twice`);
      currentName = m[1]!;
      current = new Map();
      sections.set(currentName, current);
      return;
    }
    const m = /^\s+([^:\s]+):\s+(.+)$/.exec(content);
    if (!current || !m) throw new WebConfigError(`${where}: expected "  key: value" inside a section (got "${content.trim()}")`);
    const key = unquote(m[1]!, where);
    const allowed = SECTIONS[currentName as keyof typeof SECTIONS];
    if (allowed && !(allowed as readonly string[]).includes(key)) throw new WebConfigError(`${where}: ${currentName} has no setting "${key}" (known: ${allowed.join(', ')})`);
    if ((current as Map<string, string>).has(key)) throw new WebConfigError(`${where}: "${key}" given twice`);
    (current as Map<string, string>).set(key, unquote(m[2]!, where));
  });

  const users = sections.get('basic_auth_users') ?? new Map<string, string>();
  for (const [user, hash] of users) {
    if (!isBcryptHash(hash)) throw new WebConfigError(`${name}: the password of "${user}" is not a bcrypt hash ($2y$/$2b$/$2a$, e.g. from htpasswd -nBC 10 "")`);
  }
  const tlsSection = sections.get('tls_server_config');
  let tls: WebConfig['tls'] = null;
  if (tlsSection) {
    const cert = tlsSection.get('cert_file');
    const key = tlsSection.get('key_file');
    if (!cert || !key) throw new WebConfigError(`${name}: tls_server_config needs both cert_file and key_file`);
    const ca = tlsSection.get('client_ca_file');
    tls = { certFile: resolve(baseDir, cert), keyFile: resolve(baseDir, key), clientCaFile: ca ? resolve(baseDir, ca) : null };
  }
  return { tls, basicAuthUsers: users };
}

export function loadWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WebConfigError(`cannot read the web config ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseWebConfig(text, dirname(resolve(file)), file);
}
