// Which links leave the app for the user's browser (shell.openExternal). A compromised renderer
// must not get the OS to open arbitrary URLs (file:, custom schemes that start programs, or
// phishing pages in the user's logged-in browser), so only https to the documentation hosts.
export const EXTERNAL_LINK_HOSTS: readonly string[] = ['github.com', 'docs.kernel.org', 'www.kernel.org', 'lore.kernel.org'];

export function isAllowedExternalLink(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' && parsed.port === '' && parsed.username === '' && parsed.password === ''
    && EXTERNAL_LINK_HOSTS.includes(parsed.hostname);
}
