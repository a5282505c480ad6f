import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRawStore, rawStoreRoot } from '../../electron/services/mail/raw-store';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A pid that existed and is gone: a child that already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('raw store: temporaries of interrupted writes', () => {
  it('removes those of dead processes when it opens, keeps those of live ones and every message', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lgc-raw-'));
    dirs.push(dataDir);
    const root = rawStoreRoot(dataDir);
    const dead = deadPid();
    mkdirSync(join(root, 'tmp'), { recursive: true });
    mkdirSync(join(root, 'ab'), { recursive: true });
    const orphanStream = join(root, 'tmp', `.tmp-${dead}-0a1b2c3d4e5f`);
    const orphanBuffered = join(root, 'ab', `.tmp-${dead}-001122334455`);
    const live = join(root, 'ab', `.tmp-${process.pid}-66778899aabb`);
    const message = join(root, 'ab', `${'ab'.padEnd(64, '0')}.eml`);
    for (const f of [orphanStream, orphanBuffered, live, message]) writeFileSync(f, 'x');
    createRawStore(dataDir);
    expect(existsSync(orphanStream)).toBe(false);
    expect(existsSync(orphanBuffered)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(message)).toBe(true);
  });
});
