import { describe, expect, it } from 'vitest';
import { foldName } from '../../shared/text/normalize';
import { createIdentityGenerator, seededRandom } from '../../electron/sandbox/demo-identities';
import { importPatientsCsv } from '../../electron/services/identity/csv-import';
import { PatientSearchIndex, prefixWithinOneEdit } from '../../electron/services/identity/search-index';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase } from '../../electron/services/store/db';
import { createPatientsRepo, type Patient } from '../../electron/services/store/patients-repo';

/**
 * The search index kept in step by an import answers exactly as a brute-force reference: every
 * patient scored word by word, every hit sorted with localeCompare(…, 'fr') — the ranking the
 * index had before its speed-ups (bounded top-k, postings tiers, collation ranks, date tables).
 */

const LABEL = { birthName: 'nom de naissance', usedName: 'nom utilisé', givenName: 'prénom' } as const;
type Field = keyof typeof LABEL;

const termsCache = new WeakMap<Patient, { word: string; field: Field }[]>();
function termsOf(p: Patient): { word: string; field: Field }[] {
  const cached = termsCache.get(p);
  if (cached) return cached;
  const terms: { word: string; field: Field }[] = [];
  termsCache.set(p, terms);
  const add = (field: Field, value: string | null) => {
    if (!value) return;
    const folded = foldName(value);
    if (!folded) return;
    const words = new Set(folded.split(' '));
    if (folded.includes(' ')) words.add(folded.replace(/ /g, ''));
    for (const part of value.split(/['’‘`ʼ]/).slice(1)) for (const w of foldName(part).split(' ')) if (w.length > 1) words.add(w);
    for (const word of words) terms.push({ word, field });
  };
  add('birthName', p.birthName);
  add('usedName', p.usedName);
  for (const g of p.birthGivenNames) add('givenName', g);
  add('givenName', p.usedGivenName);
  return terms;
}

function tier(q: string, w: string): number {
  if (w === q) return 3;
  if (w.startsWith(q)) return 2;
  return q.length >= 3 && prefixWithinOneEdit(q, w) ? 1 : 0;
}

function datePredicate(token: string): ((d: string) => boolean) | null {
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(token);
  if (m) return (d) => d === `${m![3]}-${m![2]!.padStart(2, '0')}-${m![1]!.padStart(2, '0')}`;
  m = /^(\d{1,2})\/(\d{1,2})\/?$/.exec(token);
  if (m) return (d) => d.endsWith(`-${m![2]!.padStart(2, '0')}-${m![1]!.padStart(2, '0')}`);
  m = /^(\d{1,2})\/(\d{4})$/.exec(token);
  if (m) return (d) => d.startsWith(`${m![2]}-${m![1]!.padStart(2, '0')}`);
  m = /^(\d{4})$/.exec(token);
  if (m) return (d) => d.startsWith(`${m![1]}-`);
  m = /^(\d{1,2})\/?$/.exec(token);
  if (m) return (d) => d.endsWith(`-${m![1]!.padStart(2, '0')}`);
  return null;
}

function reference(patients: Patient[], query: string, limit: number) {
  const names: string[] = [];
  const dates: ((d: string) => boolean)[] = [];
  for (const token of query.trim().split(/\s+/).filter(Boolean)) {
    const date = /^\d/.test(token) ? datePredicate(token) : null;
    if (date) dates.push(date);
    else names.push(...foldName(token).split(' ').filter(Boolean));
  }
  const ordered = [...names].sort((a, b) => b.length - a.length);
  const hits: { patient: Patient; score: number; matchedOn: string }[] = [];
  for (const p of patients) {
    if (!dates.every((d) => d(p.birthDate))) continue;
    const terms = termsOf(p);
    let score = dates.length * 2;
    const matched = new Set<string>();
    let all = true;
    for (const q of ordered) {
      let best = 0;
      let field: Field | null = null;
      for (const t of terms) {
        const x = tier(q, t.word);
        if (x > best || (x === best && x > 0 && t.field === 'birthName')) [best, field] = [x, t.field];
      }
      if (!best) {
        all = false;
        break;
      }
      score += best;
      matched.add(LABEL[field!] + (best === 1 ? ' (orthographe approchée)' : ''));
    }
    if (!all) continue;
    if (dates.length) matched.add('date de naissance');
    hits.push({ patient: p, score, matchedOn: [...matched].join(', ') });
  }
  hits.sort(
    (a, b) =>
      b.score - a.score ||
      (b.patient.lastSeenAt ?? '').localeCompare(a.patient.lastSeenAt ?? '') ||
      a.patient.birthName.localeCompare(b.patient.birthName, 'fr') ||
      (a.patient.birthGivenNames[0] ?? '').localeCompare(b.patient.birthGivenNames[0] ?? '', 'fr'),
  );
  return hits.slice(0, limit);
}

/** Hits compared by everything that orders them (patients tied on all of it may come in any order). */
const keys = (hits: { patient: Patient; score: number; matchedOn: string }[]) =>
  hits.map((h) => `${h.score}|${h.patient.lastSeenAt ?? ''}|${h.patient.birthName}|${h.patient.birthGivenNames[0]}|${h.matchedOn}`);

describe('search index after a CSV import', () => {
  it('ranks as the brute-force reference for prefixes, names, typos, dates and their combinations', () => {
    const next = createIdentityGenerator(11);
    const frDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
    const rows = Array.from({ length: 3000 }, (_, i) => {
      const p = next();
      return [p.birthName, p.birthGivenNames.join(' '), frDate(p.birthDate), p.sex, p.birthplaceCode, p.usedName, '', p.insMatricule, p.insOid, p.identityStatus, `E${i}`]
        .map((v) => v ?? '')
        .join(';');
    });
    const db = openDatabase({ file: ':memory:' });
    const repo = createPatientsRepo(db);
    const index = new PatientSearchIndex();
    const report = importPatientsCsv(
      { db, patients: repo, audit: createAuditRepo(db), index, actor: { userId: null, displayName: 'Test', role: null } },
      ['nom_naissance;prenoms_naissance;date_naissance;sexe;lieu_naissance;nom_utilise;prenom_utilise;ins;ins_oid;statut_identite;id_externe', ...rows].join('\n'),
      { batchSize: 700 },
    );
    expect(index.size).toBe(report.created);

    // Some patients seen recently (ranked first among equals), some removed.
    const rand = seededRandom(5);
    for (let i = 0; i < 60; i++) {
      const id = 1 + Math.floor(rand() * report.created);
      repo.markSeen(id, `2026-01-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}T09:00:00.000Z`);
      index.upsert(repo.get(id)!);
    }
    for (let i = 0; i < 20; i++) index.remove(1 + Math.floor(rand() * report.created));
    const patients = [...repo.iterateAll()].filter((p) => index.get(p.id));

    const pick = () => patients[Math.floor(rand() * patients.length)]!;
    const queries: string[] = [];
    for (let i = 0; i < 300; i++) {
      const p = pick();
      const name = foldName(p.birthName).replace(/ /g, '');
      const d = frDate(p.birthDate);
      queries.push(
        [
          name.slice(0, 1 + (i % 6)),
          `${p.birthName} ${p.birthGivenNames[0]}`,
          `${name.slice(0, 2)}${name[3] ?? ''}${name[2] ?? ''}${name.slice(4)}`,
          d,
          d.slice(0, 5),
          d.slice(3),
          d.slice(6),
          `${name.slice(0, 4)} ${d}`,
          `${name.slice(0, 3)} ${d.slice(6)}`,
          `${foldName(p.birthGivenNames[0]!)} ${name.slice(0, 2)}`,
          d.slice(0, 2),
          `${p.usedName ?? p.birthName} ${d.slice(3)}`,
        ][i % 12]!,
      );
    }
    for (const q of queries) {
      for (const limit of [50, 7]) expect(keys(index.search(q, limit)), `« ${q} » (${limit})`).toEqual(keys(reference(patients, q, limit)));
    }
  });

  it('finds a patient by INS, with or without its key, until removed', () => {
    const index = new PatientSearchIndex();
    const p: Patient = {
      id: 1,
      birthName: 'CORSE',
      birthGivenNames: ['Anthony'],
      birthDate: '1980-03-02',
      sex: 'M',
      birthplaceCode: '2B020',
      usedName: null,
      usedGivenName: null,
      insMatricule: '180032B02040123',
      insOid: '1.2.250.1.213.1.4.10',
      identityStatus: 'QUAL',
      externalId: null,
      createdAt: '',
      updatedAt: '',
      lastSeenAt: null,
    };
    index.upsert(p);
    expect(index.search('180032b020401').map((h) => h.patient.id)).toEqual([1]);
    expect(index.search('180032B02040123')[0]).toMatchObject({ score: 100, matchedOn: 'INS' });
    index.remove(1);
    expect(index.search('180032B020401')).toEqual([]);
  });
});
