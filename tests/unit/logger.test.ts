import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../electron/services/log/logger';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('logger', () => {
  it('writes JSON lines with secrets redacted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lgc-log-'));
    dirs.push(dir);
    const file = join(dir, 'journaux', 'lgc.log');
    createLogger({ file }).child('auth').info('session ouverte', { accessToken: 'eyJabc.def.ghi', user: 'Claire' });
    const entry = JSON.parse(readFileSync(file, 'utf8').trim()) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'info', scope: 'app.auth', msg: 'session ouverte', user: 'Claire' });
    expect(JSON.stringify(entry)).not.toContain('eyJabc.def.ghi');
  });

  it('never throws when its folder disappears: it recreates it; when it cannot write, it falls back to stderr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lgc-log-'));
    dirs.push(dir);
    const file = join(dir, 'journaux', 'lgc.log');
    const log = createLogger({ file });
    rmSync(join(dir, 'journaux'), { recursive: true, force: true });
    expect(() => log.warn('après suppression du dossier')).not.toThrow();
    expect(readFileSync(file, 'utf8')).toContain('après suppression du dossier');

    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const blocked = createLogger({ file: join(dir, 'journaux', 'lgc.log', 'impossible.log') }, 'x');
    expect(() => blocked.error('écriture impossible')).not.toThrow();
    expect(stderr.mock.calls.some(([line]) => String(line).includes('écriture impossible'))).toBe(true);
  });
});
