import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildCdaN1 } from '../../electron/services/cda/build-n1';
import type { CdaAuthor, CdaPatient, Practice } from '../../electron/services/dmp/types';
import { buildDocumentEntry } from '../../electron/services/dmp/xds-metadata';
import { documentEntryForCda } from '../../electron/services/dmp-app/metadata';

const author: CdaAuthor = { nationalId: '810002422979', familyName: 'CHARLES', givenName: 'Pascal', professionCode: '10', specialtyCode: 'SM26' };
const practice: Practice = { name: 'Cabinet', structureId: '312345678900011', facilityTypeCode: 'SA07', practiceSettingCode: 'AMBULATOIRE', patientIdRoot: '1.2.250.1.999.1' };
const patient: CdaPatient = { insMatricule: '236066322083656', insOid: '1.2.250.1.213.1.4.10', identityStatus: 'QUAL', birthName: 'TCHITCHI', birthGivenNames: ['CATARINA', 'BELLA'], usedName: 'DUPONT', birthDate: '1936-06-21', sex: 'F', birthplaceCode: '63220', localId: '42' };

function fixed() {
  let n = 0;
  return { now: () => new Date('2025-03-10T09:30:00Z'), newUuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, newId: () => '2.25.1234' };
}

describe('XDS metadata without parsing the PDF body', () => {
  it('equals buildDocumentEntry on the full CDA (new document and replacement, with visibility)', () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(300_000)]);
    const v1 = buildCdaN1({ pdf, typeCode: '11488-4', patient, author, practice, title: 'CR <urgent> & suivi' });
    const v2 = buildCdaN1({ pdf, typeCode: '11488-4', patient, author, practice, replaces: { id: v1.id, setId: v1.setId, versionNumber: 1 } });
    for (const cda of [v1, v2]) {
      const bytes = Buffer.from(cda.xml, 'utf8');
      const opts = { visibility: { hiddenFromProfessionals: true, invisibleToPatient: true } };
      expect(documentEntryForCda(bytes, { ...opts, ...fixed() })).toEqual(buildDocumentEntry(bytes, { ...opts, ...fixed() }));
    }
  });

  it('falls back to the full parse for a CDA it does not recognise', () => {
    const cda = buildCdaN1({ pdf: Buffer.from('%PDF-1.7\n'), typeCode: '11488-4', patient, author, practice });
    const odd = Buffer.from(cda.xml.replace('representation="B64">', 'representation="B64"><!-- x -->'), 'utf8');
    expect(documentEntryForCda(odd, fixed())).toEqual(buildDocumentEntry(odd, fixed()));
  });
});
