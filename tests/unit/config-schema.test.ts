import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSecretRef, isValidSiret, practiceConfigSchema, type PracticeConfig } from '../../electron/services/config/practice-config';
import { describeIssues, parseFrench } from '../../electron/services/config/problems';

const valid = () => JSON.parse(readFileSync('tests/fixtures/config/practice-valid.json', 'utf8')) as Record<string, any>;

function problemsOf(value: unknown): Record<string, string> {
  const parsed = parseFrench(practiceConfigSchema, value);
  if (parsed.success) return {};
  return Object.fromEntries(describeIssues(parsed.error.issues).map((p) => [p.key, p.message]));
}

describe('practice configuration schema', () => {
  it('accepts the full production sample and fills the in-schema defaults', () => {
    const parsed = parseFrench(practiceConfigSchema, valid());
    expect(parsed.success).toBe(true);
    const config = parsed.data!;
    expect(config.mode).toBe('production');
    expect(config.psc.clientAuth?.method).toBe('tls_client_auth');
    expect(config.psc.allowInsecureLoopback).toBe(false);
    expect(config.mssante?.mailboxes.map((m) => m.kind)).toEqual(['personal', 'organisational']);
    const minimal = valid();
    delete minimal.mssante.imap.port;
    delete minimal.mssante.smtp.port;
    const ports = parseFrench(practiceConfigSchema, minimal).data!.mssante!;
    expect([ports.imap.port, ports.smtp.port]).toEqual([143, 587]);
  });

  it('still accepts the object the training sandbox builds (plain secret for the loopback stand-in)', () => {
    const sandbox: PracticeConfig = {
      mode: 'training',
      practice: { name: 'Cabinet médical de démonstration', structureId: '399999999900017', facilityTypeCode: 'SA07' },
      psc: { issuer: 'http://127.0.0.1:41234/realms/esante-wallet', clientId: 'lgc', clientSecret: 'x', allowInsecureLoopback: true },
      insi: { endpoint: 'http://127.0.0.1:41235/insi' },
      lockAfterMinutes: 120,
    };
    expect(problemsOf(sandbox)).toEqual({});
  });

  it('reports each invalid key with its dotted path, in French', () => {
    const config = valid();
    config.mode = 'prod';
    config.practice.siret = '81234567800014';
    config.practice.colour = 'vert';
    config.psc.issuer = 'pas une adresse';
    config.mssante.imap.port = '143';
    config.mssante.mailboxes[1].kind = 'shared';
    config.mssante.mailboxes[0].delegatedTo = ['x'];
    config.dmp.structureCertificate.extra = true;
    config.updates.channel = 'nightly';
    config.lockAfterMinutes = 5000;
    config.autoIntegration = 'always';
    config.doctorValidationRequired = 'oui';
    config.unknownSection = {};
    expect(problemsOf(config)).toEqual({
      mode: 'mode attendu : training ou production',
      'practice.siret': 'numéro SIRET invalide (14 chiffres, clé de contrôle)',
      'practice.colour': 'clé inconnue',
      'psc.issuer': 'adresse http(s) attendue',
      'mssante.imap.port': 'nombre attendu, texte reçu',
      'mssante.mailboxes.1.kind': 'type attendu : personal ou organisational',
      'mssante.mailboxes.0.delegatedTo.0': 'identifiant national attendu (ex. 810001234567)',
      'dmp.structureCertificate.extra': 'clé inconnue',
      'updates.channel': 'canal attendu : stable ou beta',
      lockAfterMinutes: 'valeur trop grande (maximum 1440)',
      autoIntegration: 'valeur attendue : direct ou confirm',
      doctorValidationRequired: 'booléen (true ou false) attendu, texte reçu',
      unknownSection: 'clé inconnue',
    });
  });

  it('names a missing required key', () => {
    const config = valid();
    delete config.psc.clientId;
    delete config.practice;
    expect(problemsOf(config)).toEqual({ 'psc.clientId': 'valeur obligatoire manquante', practice: 'valeur obligatoire manquante' });
  });

  it('refuses plain secrets: clientSecret, a secret instead of a reference, a `secret` key', () => {
    const plain = valid();
    plain.psc = { issuer: plain.psc.issuer, clientId: 'c', clientSecret: 's3cr3t' };
    expect(problemsOf(plain)['psc.clientSecret']).toMatch(/secret en clair interdit/);

    const notRef = valid();
    notRef.psc.clientAuth = { method: 'client_secret_basic', secretRef: 's3cr3t' };
    expect(problemsOf(notRef)['psc.clientAuth.secretRef']).toMatch(/un secret en clair est refusé/);

    const wrongKey = valid();
    wrongKey.psc.clientAuth = { method: 'client_secret_basic', secretRef: 'env:LGC_PSC_SECRET', secret: 's3cr3t' };
    expect(problemsOf(wrongKey)['psc.clientAuth.secret']).toMatch(/clé inconnue — un secret en clair est refusé/);

    // Even in training, a plain secret is only tolerated for the local stand-in.
    const training = { ...plain, mode: 'training' };
    expect(problemsOf(training)['psc.clientSecret']).toMatch(/secret en clair interdit/);
  });

  it('knows the three PSC client authentications', () => {
    for (const clientAuth of [
      { method: 'client_secret_basic', secretRef: 'safeStorage:psc-secret' },
      { method: 'private_key_jwt', privateKeyRef: 'env:LGC_PSC_KEY', kid: 'k1' },
      { method: 'tls_client_auth', certificateRef: 'file:C:\\ProgramData\\LGC Ségur\\org.crt', privateKeyRef: 'safeStorage:org-key' },
    ]) {
      const config = valid();
      config.psc.clientAuth = clientAuth;
      expect(problemsOf(config)).toEqual({});
    }
    const bad = valid();
    bad.psc.clientAuth = { method: 'basic', secretRef: 'env:X' };
    expect(problemsOf(bad)['psc.clientAuth.method']).toMatch(/client_secret_basic, private_key_jwt ou tls_client_auth/);
    const none = valid();
    delete none.psc.clientAuth;
    expect(problemsOf(none)['psc.clientAuth']).toMatch(/obligatoire/);
  });

  it('applies the production rules', () => {
    const config = valid();
    config.psc.issuer = 'http://auth.esw.esante.gouv.fr/auth/realms/esante-wallet';
    config.psc.allowInsecureLoopback = true;
    delete config.practice.siret;
    delete config.dmp.structureCertificate;
    config.mssante.mailboxes[0].address = 'claire.martin@gmail.com';
    delete config.mssante.mailboxes[0].ownerNationalId;
    config.mssante.mailboxes[1].address = 'CLAIRE.MARTIN@gmail.com';
    expect(problemsOf(config)).toEqual({
      'psc.issuer': 'https obligatoire en production',
      'psc.allowInsecureLoopback': 'interdit en production',
      'practice.siret': 'numéro FINESS ou SIRET obligatoire en production',
      'dmp.structureCertificate': 'certificat de structure obligatoire en production (authentification TLS au DMP)',
      'mssante.mailboxes.0.address': 'adresse MSSanté attendue (domaine en .mssante.fr)',
      'mssante.mailboxes.0.ownerNationalId': 'titulaire obligatoire pour une boîte personnelle',
      'mssante.mailboxes.1.address': 'adresse MSSanté attendue (domaine en .mssante.fr)',
    });
    const dup = valid();
    dup.mssante.mailboxes[1].address = 'Claire.Martin@medecin.mssante.fr';
    expect(problemsOf(dup)).toEqual({ 'mssante.mailboxes.1.address': 'boîte déjà déclarée' });
  });

  it('checks the structure id against the SIRET / FINESS', () => {
    const config = valid();
    config.practice.structureId = '399999999900017';
    expect(problemsOf(config)).toEqual({ 'practice.structureId': 'ne correspond pas au SIRET (attendu : 3 suivi du SIRET)' });
    const finess = valid();
    finess.practice = { name: 'Centre de santé', structureId: '1751234567', finess: '751234567', facilityTypeCode: 'SA05' };
    expect(problemsOf(finess)).toEqual({});
    finess.practice.finess = '7512345';
    expect(problemsOf(finess)).toEqual({ 'practice.finess': 'numéro FINESS attendu (9 caractères)' });
  });

  it('validates SIRET keys and secret references', () => {
    expect(isValidSiret('81234567800013')).toBe(true);
    expect(isValidSiret('81234567800014')).toBe(false);
    expect(isValidSiret('35600000000010')).toBe(true); // La Poste: digit sum multiple of 5
    expect(isValidSiret('8123456780001')).toBe(false);
    for (const ref of ['env:LGC_PSC_SECRET', 'file:/etc/lgc-segur/psc.key', 'file:C:\\ProgramData\\LGC Ségur\\psc.key', 'safeStorage:psc-secret']) {
      expect(isSecretRef(ref), ref).toBe(true);
    }
    for (const ref of ['s3cr3t', 'env:', 'env:1ABC', 'file:relative/psc.key', 'safeStorage:../x', 'vault:psc']) {
      expect(isSecretRef(ref), ref).toBe(false);
    }
  });
});
