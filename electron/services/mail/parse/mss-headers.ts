import type { ProblemItem } from '../xdm/types';
import type { MssHeaders } from './types';

/** Prefix of the subject of a message carrying health documents (domain.md §4). */
export const XDM_SUBJECT_PREFIX = 'XDM/1.0/DDM+';

/** The subject as shown to the user: the `XDM/1.0/DDM+` prefix is hidden. */
export function displaySubject(subject: string): string {
  return subject.replace(/^\s*XDM\/1\.0\/DDM\+\s*/i, '').trim();
}

type HeaderGetter = (name: string) => string | undefined;

/** Reads `X-MSS-*` headers; malformed values are reported, never thrown. */
export function readMssHeaders(get: HeaderGetter): { mss: MssHeaders; problems: ProblemItem[] } {
  const problems: ProblemItem[] = [];
  const codeCda = (get('x-mss-codecda') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const insRaw = get('x-mss-ins')?.trim().toUpperCase();
  let insPresent: boolean | null = null;
  if (insRaw === 'O') insPresent = true;
  else if (insRaw === 'N') insPresent = false;
  else if (insRaw) problems.push({ code: 'MSS_HEADER_INVALID', message: 'En-tête X-MSS-INS invalide (O ou N attendu).' });
  const mss: MssHeaders = { codeCda, insPresent };
  const nil = get('x-mss-nil')?.trim();
  const mes = get('x-mss-mes')?.trim();
  if (nil) mss.nil = nil;
  if (mes) mss.mes = mes;
  return { mss, problems };
}
