/**
 * The only URLs the app hands to the system browser: https pages of the national services we
 * expect (Pro Santé Connect login pages), and the loopback sandbox provider in training mode.
 */
const EXPECTED_HTTPS_HOSTS = [
  'wallet.esw.esante.gouv.fr',
  'auth.esw.esante.gouv.fr',
  'wallet.bas.psc.esante.gouv.fr',
  'auth.bas.psc.esante.gouv.fr',
  'esante.gouv.fr',
  'www.monespacesante.fr',
];

export function isAllowedExternalUrl(raw: string, extraOrigins: readonly string[] = []): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (extraOrigins.includes(url.origin)) return true;
  return url.protocol === 'https:' && EXPECTED_HTTPS_HOSTS.includes(url.hostname);
}
