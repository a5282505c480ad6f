import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { checkEntryPath, readZipEntries } from '../../electron/services/mail/xdm/zip-reader';
import { buildStreamZip, buildXdmZip, patchCentralUncompressedSize, renameZipEntry } from '../helpers/mss-message';

async function rejected(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('BAD_INPUT');
    return e as AppError;
  }
  throw new Error('expected a BAD_INPUT rejection');
}

/** 1 MB chunks of zeros, `mb` times: compresses about 1000:1. */
function zeros(mb: number): Readable {
  let left = mb;
  const chunk = Buffer.alloc(1024 * 1024);
  return new Readable({
    read() {
      this.push(left-- > 0 ? chunk : null);
    },
  });
}

describe('readZipEntries', () => {
  it('reads a normal archive, folders excluded, paths normalised', async () => {
    const zip = await buildXdmZip({ 'INDEX.HTM': '<html/>', 'IHE_XDM/SUBSET01/METADATA.XML': '<a/>', './IHE_XDM//SUBSET01/DOC0001.XML': 'x' });
    const { files } = await readZipEntries(zip);
    expect([...files.keys()]).toEqual(['INDEX.HTM', 'IHE_XDM/SUBSET01/METADATA.XML', 'IHE_XDM/SUBSET01/DOC0001.XML']);
    expect(files.get('IHE_XDM/SUBSET01/DOC0001.XML')?.toString()).toBe('x');
  });

  it('refuses a zip bomb (200 MB of zeros), honest or lying about its size, without inflating it', async () => {
    const name = 'IHE_XDM/SUBSET01/DOC0001.XML';
    const zip = await buildStreamZip(name, zeros(200));
    expect(zip.length).toBeLessThan(1024 * 1024);
    const t0 = Date.now();
    expect((await rejected(readZipEntries(zip))).message).toMatch(/trop volumineuse/);
    // same bomb whose central directory claims 1 kB: stopped while inflating
    await rejected(readZipEntries(patchCentralUncompressedSize(zip, name, 1000)));
    expect(Date.now() - t0).toBeLessThan(3000);
  }, 60_000);

  it('stops inflation at an abnormal compression ratio (40 MB of zeros, under the size caps)', async () => {
    const zip = await buildStreamZip('DOC0001.XML', zeros(40));
    const err = await rejected(readZipEntries(zip));
    expect(err.message).toMatch(/taux de compression anormal/);
  }, 60_000);

  it('refuses an archive with too many entries before reading them', async () => {
    const files = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`f${i}.txt`, 'x']));
    const err = await rejected(readZipEntries(await buildXdmZip(files)));
    expect(err.message).toMatch(/201 fichiers/);
  });

  it('counts real bytes: per-entry and total limits hold whatever the headers say', async () => {
    const big = randomBytes(300_000); // incompressible: the ratio check stays silent
    const entry = await rejected(readZipEntries(await buildXdmZip({ 'a.bin': big }), { maxEntryBytes: 100_000 }));
    expect(entry.message).toMatch(/trop volumineuse/);

    const three = await buildXdmZip({ 'a.bin': big, 'b.bin': big, 'c.bin': big });
    const total = await rejected(readZipEntries(three, { maxTotalBytes: 700_000 }));
    expect(total.message).toMatch(/trop volumineuse/);

    // central directory claims 10 bytes for a 300 kB entry
    const lying = patchCentralUncompressedSize(await buildXdmZip({ 'a.bin': big }), 'a.bin', 10);
    const lie = await rejected(readZipEntries(lying, { maxEntryBytes: 100_000 }));
    expect(lie.message).toMatch(/trop volumineuse|corrompue/);
  });

  it.each([
    ['XX/evil', '../evil'],
    ['IHE_XDM/XXXXX/evil', 'IHE_XDM/../../evil'],
    ['Xabs', '/abs'],
    ['XXXevil', '..\\evil'],
    ['QQ/x', 'C:/x'],
    ['QQ\\x'.replace('\\', '/'), 'C:\\x'],
  ])('refuses the forbidden path %s → %s', async (placeholder, hostile) => {
    const zip = renameZipEntry(await buildXdmZip({ [placeholder]: 'pwned', 'ok.txt': 'ok' }), placeholder, hostile);
    const err = await rejected(readZipEntries(zip));
    expect(err.message).toContain("Chemin interdit dans l'archive");
    expect(err.message).toContain(hostile);
  });

  it('refuses symbolic links', async () => {
    const zip = await buildXdmZip({ 'IHE_XDM/SUBSET01/DOC0001.XML': '/etc/passwd' }, { mode: { 'IHE_XDM/SUBSET01/DOC0001.XML': 0o120777 } });
    expect((await rejected(readZipEntries(zip))).message).toMatch(/Lien symbolique/);
  });

  it('refuses duplicate names (case-insensitive)', async () => {
    const zip = renameZipEntry(await buildXdmZip({ 'METADATA.XML': '<a/>', 'METADATA.XMX': '<b/>' }), 'METADATA.XMX', 'metadata.xml');
    expect((await rejected(readZipEntries(zip))).message).toMatch(/en double/);
  });

  it('detects corrupted data (CRC) and garbage', async () => {
    const zip = Buffer.from(await buildXdmZip({ 'a.txt': 'hello world' }, { compress: false }));
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE((zip.readUInt32LE(central + 16) ^ 0xffff) >>> 0, central + 16);
    expect((await rejected(readZipEntries(zip))).message).toMatch(/CRC/);
    expect((await rejected(readZipEntries(Buffer.from('PK not really a zip')))).message).toMatch(/illisible/);
  });

  it('checkEntryPath normalises or refuses', () => {
    expect(checkEntryPath('IHE_XDM/')).toBeNull();
    expect(checkEntryPath('a\\b.txt')).toBe('a/b.txt');
    expect(() => checkEntryPath('a/\u0000b')).toThrow(AppError);
    expect(() => checkEntryPath('\\\\server\\share')).toThrow(/Chemin interdit/);
  });
});
