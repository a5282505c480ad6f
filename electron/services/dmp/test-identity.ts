import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';

/**
 * A throwaway RSA key and self-signed X.509 certificate for signing VIHF assertions in the
 * sandbox and in tests. The real DMP only accepts an IGC-Santé organisation ("cachet")
 * certificate; node:crypto cannot issue certificates, hence this small DER writer.
 */
export interface SigningIdentity {
  signingKeyPem: string;
  certPem: string;
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));

function derInt(value: Buffer): Buffer {
  let v = value;
  while (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) v = v.subarray(1);
  if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

function derOid(oid: string): Buffer {
  const parts = oid.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return tlv(0x17, Buffer.from(s, 'ascii'));
}

function rdn(oid: string, value: string, printable = false): Buffer {
  return set(seq(derOid(oid), tlv(printable ? 0x13 : 0x0c, Buffer.from(value, 'utf8'))));
}

export interface TestIdentityOptions {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  validDays?: number;
}

export function generateTestSigningIdentity(opts: TestIdentityOptions = {}): SigningIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const name = seq(
    rdn('2.5.4.6', 'FR', true),
    rdn('2.5.4.10', opts.organization ?? 'LGC Segur bac a sable'),
    ...(opts.organizationalUnit ? [rdn('2.5.4.11', opts.organizationalUnit)] : []),
    rdn('2.5.4.3', opts.commonName ?? 'VIHF TEST'),
  );
  const algorithm = seq(derOid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + (opts.validDays ?? 30) * 86_400_000);
  const serial = randomBytes(12);
  serial[0] = serial[0]! & 0x7f;
  const tbs = seq(
    tlv(0xa0, derInt(Buffer.from([2]))),
    derInt(serial),
    algorithm,
    name,
    seq(utcTime(notBefore), utcTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const cert = seq(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = cert.toString('base64').replace(/(.{64})/g, '$1\n').trim();
  return {
    signingKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
  };
}
