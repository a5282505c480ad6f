import { execFileSync } from 'node:child_process';

/**
 * Windows Group Policy values for LGC Ségur, under `HKLM\SOFTWARE\Policies\LGC Ségur`.
 * A value named `psc.clientId` at the root and a value `clientId` in the subkey `psc` both
 * mean the dotted key `psc.clientId`.
 */
export const POLICY_KEY = 'HKLM\\SOFTWARE\\Policies\\LGC Ségur';

export interface RegistryProvider {
  /**
   * Values under `keyPath` and all its subkeys, as dotted names (subkey path + value name).
   * Empty when the key does not exist. Throws when the registry cannot be read at all.
   */
  readValues(keyPath: string): Record<string, string | number>;
}

const lower = (s: string) => s.toLowerCase();

/**
 * Test double: `{ 'HKLM\\SOFTWARE\\Policies\\LGC Ségur': { mode: 'production' },
 * 'HKLM\\SOFTWARE\\Policies\\LGC Ségur\\psc': { clientId: 'x' } }`.
 */
export function createStubRegistry(keys: Record<string, Record<string, string | number>> = {}): RegistryProvider {
  return {
    readValues(keyPath) {
      const root = lower(keyPath.replace(/\\+$/, ''));
      const out: Record<string, string | number> = {};
      for (const [path, values] of Object.entries(keys)) {
        const p = lower(path.replace(/\\+$/, ''));
        if (p !== root && !p.startsWith(`${root}\\`)) continue;
        const prefix = path.slice(root.length + 1).split('\\').filter(Boolean);
        for (const [name, value] of Object.entries(values)) out[[...prefix, name].join('.')] = value;
      }
      return out;
    },
  };
}

// Code page 850 (the OEM code page of French Windows consoles), bytes 0x80–0xFF.
const CP850_HIGH =
  '\u00c7\u00fc\u00e9\u00e2\u00e4\u00e0\u00e5\u00e7\u00ea\u00eb\u00e8\u00ef\u00ee\u00ec\u00c4\u00c5\u00c9\u00e6\u00c6\u00f4\u00f6\u00f2\u00fb\u00f9\u00ff\u00d6\u00dc\u00f8\u00a3\u00d8\u00d7\u0192' +
  '\u00e1\u00ed\u00f3\u00fa\u00f1\u00d1\u00aa\u00ba\u00bf\u00ae\u00ac\u00bd\u00bc\u00a1\u00ab\u00bb\u2591\u2592\u2593\u2502\u2524\u00c1\u00c2\u00c0\u00a9\u2563\u2551\u2557\u255d\u00a2\u00a5\u2510' +
  '\u2514\u2534\u252c\u251c\u2500\u253c\u00e3\u00c3\u255a\u2554\u2569\u2566\u2560\u2550\u256c\u00a4\u00f0\u00d0\u00ca\u00cb\u00c8\u0131\u00cd\u00ce\u00cf\u2518\u250c\u2588\u2584\u00a6\u00cc\u2580' +
  '\u00d3\u00df\u00d4\u00d2\u00f5\u00d5\u00b5\u00fe\u00de\u00da\u00db\u00d9\u00fd\u00dd\u00af\u00b4\u00ad\u00b1\u2017\u00be\u00b6\u00a7\u00f7\u00b8\u00b0\u00a8\u00b7\u00b9\u00b3\u00b2\u25a0\u00a0';

/** `reg.exe` writes in the console code page: UTF-8 when it decodes as such, else CP850. */
export function decodeConsoleOutput(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let out = '';
    for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : CP850_HIGH[b - 0x80];
    return out;
  }
}

function expandEnv(value: string, env: NodeJS.ProcessEnv): string {
  const lookup = (name: string) => {
    const hit = Object.keys(env).find((k) => lower(k) === lower(name));
    return hit ? env[hit] : undefined;
  };
  return value.replace(/%([^%]+)%/g, (all, name: string) => lookup(name) ?? all);
}

/**
 * Parses `reg query <key> /s` output. Subkeys are located by component count (the root line
 * may be printed with `HKEY_LOCAL_MACHINE` and with a mangled `é`).
 */
export function parseRegQueryOutput(text: string, keyPath: string, env: NodeJS.ProcessEnv = {}): Record<string, string | number> {
  const rootDepth = keyPath.replace(/\\+$/, '').split('\\').length;
  const out: Record<string, string | number> = {};
  let prefix: string[] | null = null;
  for (const raw of text.split(/\r?\n/)) {
    if (/^HKEY_/i.test(raw)) {
      prefix = raw.trim().split('\\').slice(rootDepth);
      continue;
    }
    const m = /^ {4}(.+?) {4}(REG_[A-Z0-9_]+)(?: {4}(.*))?$/.exec(raw);
    if (!m || !prefix) continue;
    const [, name, type, data = ''] = m as unknown as [string, string, string, string | undefined];
    if (/^\(.*\)$/.test(name)) continue; // the unnamed default value: "(Default)", "(par défaut)"
    const dotted = [...prefix, name].join('.');
    switch (type) {
      case 'REG_SZ':
        out[dotted] = data;
        break;
      case 'REG_EXPAND_SZ':
        out[dotted] = expandEnv(data, env);
        break;
      case 'REG_DWORD':
      case 'REG_QWORD':
        out[dotted] = Number(BigInt(data.trim()));
        break;
      case 'REG_MULTI_SZ':
        out[dotted] = JSON.stringify(data ? data.split('\\0').filter((s) => s !== '') : []);
        break;
      default:
        break; // REG_BINARY, REG_NONE…: not used by our policies
    }
  }
  return out;
}

/** Runs `reg.exe`; returns stdout, or null when the key does not exist (exit status 1). */
export type RegRunner = (args: string[]) => Uint8Array | null;

const runReg: RegRunner = (args) => {
  try {
    return execFileSync('reg.exe', args, { windowsHide: true, timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 4 * 1024 * 1024 });
  } catch (error) {
    if ((error as { status?: number }).status === 1) return null;
    throw error;
  }
};

/** The real provider: `reg query <key> /s` on Windows; nothing anywhere else. */
export function createRegQueryRegistry(options: { platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv; run?: RegRunner } = {}): RegistryProvider {
  const platform = options.platform ?? process.platform;
  const run = options.run ?? runReg;
  return {
    readValues(keyPath) {
      if (platform !== 'win32') return {};
      const stdout = run(['query', keyPath, '/s', '/reg:64']);
      if (!stdout) return {};
      return parseRegQueryOutput(decodeConsoleOutput(stdout), keyPath, options.env ?? process.env);
    },
  };
}
