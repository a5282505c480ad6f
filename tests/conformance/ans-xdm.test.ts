import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMssMessage } from '../../electron/services/mail/parse/parse-message';
import { buildMssMessage } from '../helpers/mss-message';

/**
 * Every real IHE_XDM.ZIP published by ANS (ansforge/interop-exemples-xdm), wrapped in an MSSanté
 * message and read back through parseMssMessage. The archives stay outside the repository
 * (LGC_ANS_XDM_DIR overrides their folder).
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = process.env.LGC_ANS_XDM_DIR ?? path.resolve(repoRoot, '../shared/fixtures/ans-xdm');
const archives = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => /\.zip$/i.test(f)).sort() : [];

const LOINC = '2.16.840.1.113883.6.1';
const INS_NIR = '1.2.250.1.213.1.4.8';
const INS_NIR_TEST = '1.2.250.1.213.1.4.10';

/** Archives carrying `urn:action:extraMetadataSlot` (found by reading all 66 METADATA.XML). */
const REPLACEMENTS = new Set([
  'BIO-CR-BIO_2021.01_Microbiologie_V2',
  'BIO-CR-BIO_2024.01_Microbiologie_V2',
  'CANCER-CR-GM_2022.01_AnalyseNonRealisee',
  'CARD-F-PRC-AVK_2022.01',
  'CARD-F-PRC-PPV_2022.01',
  'CARD-F-PRC-TAP_2022.01',
  'IMG_CR_IMG_2024.01',
  'IPS-FR_2024.01',
  'IPS-FR_2024.01_DLU',
  'TLM-DA_2022.01_TCG',
  'VSM_1.4_2022.01',
]);
const isDeletion = (name: string) => /_Delete$/i.test(name);

/** These examples use the production INS-NIR authority (.4.8) instead of the test one (.4.10). */
const PRODUCTION_OID = new Set(['CSE-CS24_2024.01', 'CSE-CS8_2024.01', 'OBP-SCM_2024.01', 'OBP-SEM_2024.01', 'OBP-SNM_2024.01']);

/** Example matricules whose key is wrong in the ANS data itself (97 − N mod 97 gives 83 and 82). */
const KNOWN_BAD_KEYS = new Set(['221042545611404', '223042545611404']);

/** Document types outside LOINC: French codes of TRE_A05 (code system 1.2.250.1.213.1.1.4.12). */
const NON_LOINC_TYPES = new Map([
  ['CNAM-HR_2021.01', 'REMB'],
  ['CSE-CS24_2024.01', 'CERT_DECL'],
  ['CSE-CS8_2024.01', 'CERT_DECL'],
  ['CSE-CS8_2025.01', 'CERT_DECL'],
  ['CSE-CS9_2025.01', 'CERT_DECL'],
  ['VSM_1.4_2022.01', 'SYNTH'],
]);

/**
 * Problem codes accepted on these archives: none. All 66 are internally consistent (hash, size,
 * URI, uniqueId = CDA id, INS and traits identical in METADATA.XML and CDA); any problem is a
 * regression of the reader.
 */
const ACCEPTED_PROBLEMS = new Set<string>();

function insKeyValid(matricule: string): boolean {
  const body = matricule.slice(0, 13).toUpperCase().replace(/^(.{5})2A/, '$119').replace(/^(.{5})2B/, '$118');
  return 97 - Number(BigInt(body) % 97n) === Number(matricule.slice(13));
}

if (!archives.length) {
  const reason = `dossier des exemples ANS absent (${FIXTURES})`;
  console.warn(`[conformance] ans-xdm ignoré : ${reason}`);
  describe.skip(`ANS IHE_XDM.ZIP — ${reason}`, () => {
    it('needs ../shared/fixtures/ans-xdm', () => {});
  });
} else {
  describe('ANS IHE_XDM.ZIP examples through parseMssMessage', () => {
    it('the fixture set is complete', () => {
      expect(archives.length).toBe(66);
    });

    it.each(archives)('%s', async (file) => {
      const name = file.replace(/\.zip$/i, '');
      const raw = await buildMssMessage({
        from: 'Émetteur <emetteur@hopital.mssante.fr>',
        to: 'cabinet@medecin.mssante.fr',
        subject: `XDM/1.0/DDM+${name}`,
        xdmZip: readFileSync(path.join(FIXTURES, file)),
      });
      const msg = await parseMssMessage(raw);

      expect(msg.problems.filter((p) => !ACCEPTED_PROBLEMS.has(p.code))).toEqual([]);
      expect(msg.displaySubject).toBe(name);
      expect(msg.xdm).toBeDefined();
      expect(msg.documents.length).toBeGreaterThanOrEqual(1);

      for (const doc of msg.documents) {
        if (doc.source !== 'xdm') throw new Error(`unexpected ${doc.source} document`);
        expect(doc.problems.filter((p) => !ACCEPTED_PROBLEMS.has(p.code))).toEqual([]);

        const ins = doc.entry.patientId?.ins;
        expect(ins, 'patientId with an INS').toBeDefined();
        expect(ins!.oid).toBe(PRODUCTION_OID.has(name) ? INS_NIR : INS_NIR_TEST);
        expect(ins!.matricule).toMatch(/^\d{5}(\d{2}|2[AB])\d{8}$/);
        expect(insKeyValid(ins!.matricule)).toBe(!KNOWN_BAD_KEYS.has(ins!.matricule));

        const info = doc.entry.sourcePatientInfo;
        expect(info.birthName).toBeTruthy();
        expect(info.birthGivenNames.length).toBeGreaterThan(0);
        expect(info.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(info.sex).toMatch(/^[FMU]$/);

        const cda = doc.cda;
        expect(cda, 'CDA parsed').toBeDefined();
        expect(cda!.id?.root).toBeTruthy();
        expect(cda!.patient.ins).toEqual(ins);
        expect(cda!.patient.birthName).toBeTruthy();
        expect(cda!.patient.birthDate).toBe(info.birthDate);
        expect(cda!.patient.sex).toBe(info.sex);
        if (cda!.level === 1) expect(cda!.pdf?.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        else expect(cda!.narrative.some((s) => s.text.length > 0)).toBe(true);

        const nonLoinc = NON_LOINC_TYPES.get(name);
        if (nonLoinc) {
          expect(doc.entry.typeCode).toMatchObject({ code: nonLoinc, codingScheme: '1.2.250.1.213.1.1.4.12' });
        } else {
          expect(doc.entry.typeCode?.codingScheme).toBe(LOINC);
          expect(doc.entry.typeCode?.code).toMatch(/^\d{1,6}-\d$/);
          expect(cda!.code).toMatchObject({ code: doc.entry.typeCode!.code, codeSystem: LOINC });
        }

        expect(doc.entry.action).toBe(isDeletion(name) ? 'D' : REPLACEMENTS.has(name) ? 'C' : null);
      }
    });
  });
}
