import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { classifyMailError, isLoopbackHost, transportPolicy } from '../../electron/services/mail/sync/connection';
import { outboxLabel } from '../../electron/services/mail/send/outbox';

describe('mail transport policy', () => {
  it('requires STARTTLS (or implicit TLS) with TLS ≥ 1.2 and the configured CA', () => {
    const p = transportPolicy({ host: 'imap.mssante.example', port: 143, ca: 'PEM' }, 'IMAP');
    expect(p).toMatchObject({ secure: false, starttls: true, plaintext: false });
    expect(p.tls).toMatchObject({ minVersion: 'TLSv1.2', rejectUnauthorized: true, ca: 'PEM' });
    expect(transportPolicy({ host: 'imap.mssante.example', port: 993, tls: true }, 'IMAP')).toMatchObject({ secure: true, starttls: false });
  });

  it('allows plaintext only for a sandbox on a loopback address', () => {
    expect(transportPolicy({ host: '127.0.0.1', port: 1143, sandboxPlaintext: true }, 'IMAP').plaintext).toBe(true);
    expect(transportPolicy({ host: 'localhost', port: 1143, sandboxPlaintext: true }, 'SMTP').plaintext).toBe(true);
    expect(() => transportPolicy({ host: 'imap.mssante.example', port: 143, sandboxPlaintext: true }, 'IMAP')).toThrow(/non chiffrée refusée/);
    expect(() => transportPolicy({ host: '10.0.0.5', port: 143, sandboxPlaintext: true }, 'SMTP')).toThrow(AppError);
    expect([isLoopbackHost('127.0.0.53'), isLoopbackHost('::1'), isLoopbackHost('[::1]'), isLoopbackHost('128.0.0.1'), isLoopbackHost('localhost.evil.fr')])
      .toEqual([true, true, true, false, false]);
  });

  it('turns failures into mailbox states with French reasons', () => {
    expect(classifyMailError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({ state: 'offline', retry: true });
    expect(classifyMailError(Object.assign(new Error('Command failed'), { authenticationFailed: true }))).toMatchObject({ state: 'error', auth: true, detail: expect.stringMatching(/Authentification refusée/) });
    expect(classifyMailError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }))).toMatchObject({ state: 'error', detail: expect.stringMatching(/Certificat/) });
    expect(classifyMailError(Object.assign(new Error('Server does not support STARTTLS'), { tlsFailed: true }))).toMatchObject({ detail: expect.stringMatching(/STARTTLS/) });
    expect(classifyMailError(Object.assign(new Error('550 unknown'), { code: 'EENVELOPE', responseCode: 550 }), 'SMTP')).toMatchObject({ retry: false, detail: expect.stringMatching(/a refusé le message \(550\)/) });
    expect(classifyMailError(Object.assign(new Error('451 later'), { code: 'EENVELOPE', responseCode: 451 }), 'SMTP')).toMatchObject({ retry: true });
    expect(classifyMailError(new AppError('VALIDATION', 'Connexion IMAP non chiffrée refusée'))).toMatchObject({ retry: false, state: 'error' });
  });

  it('labels outbox entries in French', () => {
    expect(outboxLabel({ status: 'pending', sentAt: null, lastError: null, nextAttemptAt: '2026-03-02T10:00:00Z' })).toBe('En attente');
    expect(outboxLabel({ status: 'sent', sentAt: '2026-03-02T10:15:00Z', lastError: null, nextAttemptAt: '' })).toMatch(/^Envoyé le 02\/03\/2026 à \d{2}:15$/);
    expect(outboxLabel({ status: 'error', sentAt: null, lastError: 'refusé', nextAttemptAt: '' })).toBe('Erreur : refusé');
  });
});
