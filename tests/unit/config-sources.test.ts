import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  POLICY_KEY,
  coercePolicyValue,
  createRegQueryRegistry,
  createStubRegistry,
  loadConfiguration,
  machineConfigPath,
  practiceDataDir,
  unflatten,
  type ConfigFileReader,
} from '../../electron/services/config/sources';
import { decodeConsoleOutput, parseRegQueryOutput } from '../../electron/services/config/registry';

const USER_DATA = '/home/claire/.config/LGC Ségur';
const MACHINE = '/etc/lgc-segur/practice.json';
const SETTINGS = join(USER_DATA, 'settings.json');
const WIN_MACHINE = 'C:\\ProgramData\\LGC Ségur\\practice.json';

const sample = () => JSON.parse(readFileSync('tests/fixtures/config/practice-valid.json', 'utf8')) as Record<string, any>;

function files(map: Record<string, unknown>): ConfigFileReader {
  return (path) => {
    const value = map[path];
    if (value === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    if (value instanceof Error) throw value;
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
}

describe('configuration sources', () => {
  it('puts the machine file where administrators expect it on each system', () => {
    expect(machineConfigPath('win32', { ProgramData: 'D:\\ProgramData' })).toBe('D:\\ProgramData\\LGC Ségur\\practice.json');
    expect(machineConfigPath('win32', { PROGRAMDATA: 'C:\\ProgramData' })).toBe(WIN_MACHINE);
    expect(machineConfigPath('win32', {})).toBe(WIN_MACHINE);
    expect(machineConfigPath('darwin', {})).toBe('/Library/Application Support/LGC Ségur/practice.json');
    expect(machineConfigPath('linux', {})).toBe(MACHINE);
    expect(practiceDataDir(USER_DATA, null)).toBe(join(USER_DATA, 'formation'));
    expect(practiceDataDir(USER_DATA, { mode: 'production' })).toBe(USER_DATA);
  });

  it('without machine file nor policies: no configuration (training sandbox), user settings still read', async () => {
    const loaded = await loadConfiguration({
      platform: 'win32',
      env: {},
      userDataDir: USER_DATA,
      registry: createStubRegistry(),
      readFile: files({ [SETTINGS]: readFileSync('tests/fixtures/config/settings-user.json', 'utf8') }),
    });
    expect(loaded.config).toBeNull();
    expect(loaded.problems).toEqual([]);
    expect(loaded.userSettings).toEqual({ ui: { theme: 'dark' }, lockAfterMinutes: 10 });
    expect(loaded.updates).toEqual({ channel: 'stable', disabled: false });
  });

  it('policy beats machine beats user beats defaults, and says where each value came from', async () => {
    const machine = sample();
    machine.lockAfterMinutes = 60;
    machine.autoIntegration = 'direct';
    machine.ui = { theme: 'light' };
    delete machine.mssante.imap.port;
    delete machine.doctorValidationRequired;
    delete machine.updates;
    const registry = createStubRegistry({
      [POLICY_KEY]: { 'psc.clientId': 'client-par-strategie', autoIntegration: 'confirm' },
      [`${POLICY_KEY}\\updates`]: { disabled: 1 },
    });
    const user = { ui: { theme: 'dark', textSize: 'large' }, lockAfterMinutes: 90 };
    const loaded = await loadConfiguration({
      platform: 'win32',
      env: {},
      userDataDir: USER_DATA,
      registry,
      readFile: files({ [WIN_MACHINE]: machine, [SETTINGS]: user }),
    });
    expect(loaded.problems).toEqual([]);
    const config = loaded.config!;
    expect(config.psc.clientId).toBe('client-par-strategie');
    expect(config.autoIntegration).toBe('confirm');
    expect(config.ui).toEqual({ theme: 'light', textSize: 'large' });
    expect(config.lockAfterMinutes).toBe(60); // the user may not lengthen it
    expect(config.doctorValidationRequired).toBe(true);
    expect(config.updates).toEqual({ channel: 'stable', disabled: true });
    expect(loaded.updates).toEqual({ channel: 'stable', disabled: true });
    expect(config.mssante!.imap.port).toBe(143);
    expect(loaded.origins).toMatchObject({
      'psc.clientId': 'policy',
      autoIntegration: 'policy',
      'updates.disabled': 'policy',
      'psc.issuer': 'machine',
      'psc.clientAuth.method': 'machine',
      'mssante.mailboxes': 'machine',
      'ui.theme': 'machine',
      lockAfterMinutes: 'machine',
      'ui.textSize': 'user',
      'updates.channel': 'default',
      doctorValidationRequired: 'default',
      'mssante.imap.port': 'default',
    });
    expect(Object.keys(loaded.origins)).toEqual(expect.arrayContaining(['mode', 'practice.name', 'mssante.smtp.port']));
  });

  it('lets the user shorten the inactivity lock', async () => {
    const machine = sample();
    const loaded = await loadConfiguration({
      platform: 'linux',
      env: {},
      userDataDir: USER_DATA,
      readFile: files({ [MACHINE]: machine, [SETTINGS]: { lockAfterMinutes: 10 } }),
    });
    expect(loaded.config!.lockAfterMinutes).toBe(10);
    expect(loaded.origins.lockAfterMinutes).toBe('user');
    const defaults = await loadConfiguration({
      platform: 'linux',
      env: {},
      userDataDir: USER_DATA,
      readFile: files({ [MACHINE]: { ...machine, lockAfterMinutes: undefined }, [SETTINGS]: { lockAfterMinutes: 500 } }),
    });
    expect(defaults.config!.lockAfterMinutes).toBe(120);
    expect(defaults.origins.lockAfterMinutes).toBe('default');
  });

  it('Windows policies alone configure a workstation: subkeys, typed values, JSON lists, clientAuth replaced whole', async () => {
    const machine = sample(); // tls_client_auth in the machine file…
    const registry = createStubRegistry({
      [POLICY_KEY]: { mode: 'production', lockAfterMinutes: 15, 'mssante.mailboxes': JSON.stringify([{ address: 'secretariat@cabinet.mssante.fr', kind: 'organisational', label: 'Secrétariat' }]) },
      [`${POLICY_KEY}\\psc\\clientAuth`]: { method: 'client_secret_basic', secretRef: 'env:LGC_PSC_SECRET' }, // …replaced by the policy
      [`${POLICY_KEY}\\mssante\\imap`]: { port: '1143' },
      [`${POLICY_KEY}\\psc`]: { allowInsecureLoopback: 'false' },
      'HKLM\\SOFTWARE\\Policies\\Autre logiciel': { mode: 'training' },
    });
    const loaded = await loadConfiguration({ platform: 'win32', env: {}, userDataDir: USER_DATA, registry, readFile: files({ [WIN_MACHINE]: machine }) });
    expect(loaded.problems).toEqual([]);
    expect(loaded.config!.psc.clientAuth).toEqual({ method: 'client_secret_basic', secretRef: 'env:LGC_PSC_SECRET' });
    expect(loaded.config!.mssante!.imap).toEqual({ host: 'imap.operateur.mssante.fr', port: 1143 });
    expect(loaded.config!.mssante!.mailboxes).toHaveLength(1);
    expect(loaded.config!.lockAfterMinutes).toBe(15);
    expect(loaded.origins).toMatchObject({ 'psc.clientAuth.secretRef': 'policy', 'mssante.imap.port': 'policy', 'mssante.imap.host': 'machine', mode: 'policy' });
    expect(loaded.origins['psc.clientAuth.certificateRef']).toBeUndefined();

    const { psc, practice, mode } = sample();
    const flat: Record<string, string | number> = { mode, 'practice.name': practice.name, 'practice.structureId': practice.structureId, 'practice.siret': practice.siret };
    Object.assign(flat, { 'psc.issuer': psc.issuer, 'psc.clientId': psc.clientId, 'psc.clientAuth.method': 'private_key_jwt', 'psc.clientAuth.privateKeyRef': 'safeStorage:psc-key' });
    const policyOnly = await loadConfiguration({ platform: 'win32', env: {}, userDataDir: USER_DATA, registry: createStubRegistry({ [POLICY_KEY]: flat }), readFile: files({}) });
    expect(policyOnly.problems).toEqual([]);
    expect(policyOnly.config!.practice.name).toBe('Cabinet médical des Tilleuls');
    expect(policyOnly.origins['practice.facilityTypeCode']).toBe('default');
  });

  it('ignores the registry outside Windows, and policies without `mode` do not leave the training sandbox', async () => {
    const registry = createStubRegistry({ [POLICY_KEY]: { mode: 'production', 'psc.clientId': 'x' } });
    const linux = await loadConfiguration({ platform: 'linux', env: {}, userDataDir: USER_DATA, registry, readFile: files({}) });
    expect(linux.config).toBeNull();
    expect(linux.problems).toEqual([]);

    const updatesOnly = createStubRegistry({ [`${POLICY_KEY}\\updates`]: { disabled: 1 } });
    const training = await loadConfiguration({ platform: 'win32', env: {}, userDataDir: USER_DATA, registry: updatesOnly, readFile: files({}) });
    expect(training.config).toBeNull();
    expect(training.problems).toEqual([]);
    expect(training.updates).toEqual({ channel: 'stable', disabled: true });
  });

  it('attributes each problem to its source and location; a broken practice source gives no configuration', async () => {
    const machine = sample();
    machine.mssante.smtp.port = 70000;
    delete machine.psc.clientId;
    const registry = createStubRegistry({ [POLICY_KEY]: { lockAfterMinutes: 'souvent', 'psc.clientAuth.secretRef': 'x' } });
    const loaded = await loadConfiguration({
      platform: 'win32',
      env: {},
      userDataDir: USER_DATA,
      registry,
      readFile: files({ [WIN_MACHINE]: machine, [SETTINGS]: { 'psc': { clientId: 'moi' }, theme: 'dark', ui: { theme: 'fuchsia' } } }),
    });
    expect(loaded.config).toBeNull();
    expect(loaded.problems).toEqual(
      expect.arrayContaining([
        { key: 'psc', source: 'user', message: 'réservé à la configuration du poste (practice.json) ou aux stratégies, ignoré ici', location: SETTINGS },
        { key: 'theme', source: 'user', message: 'clé inconnue', location: SETTINGS },
        { key: 'ui.theme', source: 'user', message: 'thème attendu : system, light ou dark', location: SETTINGS },
      ]),
    );
    // The practice problems appear once the user file is fixed.
    const again = await loadConfiguration({ platform: 'win32', env: {}, userDataDir: USER_DATA, registry, readFile: files({ [WIN_MACHINE]: machine }) });
    expect(again.config).toBeNull();
    const byKey = Object.fromEntries(again.problems.map((p) => [p.key, p]));
    expect(byKey.lockAfterMinutes).toEqual({ key: 'lockAfterMinutes', source: 'policy', message: 'nombre attendu, texte reçu', location: POLICY_KEY });
    expect(byKey['psc.clientAuth.method']?.source).toBe('policy');
    expect(byKey['mssante.smtp.port']).toEqual({ key: 'mssante.smtp.port', source: 'machine', message: 'valeur trop grande (maximum 65535)', location: WIN_MACHINE });
    expect(byKey['psc.clientId']).toEqual({ key: 'psc.clientId', source: 'machine', message: 'valeur obligatoire manquante', location: WIN_MACHINE });
  });

  it('keeps a valid configuration when only the user settings are wrong (the bad keys are ignored)', async () => {
    const loaded = await loadConfiguration({
      platform: 'linux',
      env: {},
      userDataDir: USER_DATA,
      readFile: files({ [MACHINE]: sample(), [SETTINGS]: { ui: { theme: 'fuchsia' }, lockAfterMinutes: 5, mode: 'training' } }),
    });
    expect(loaded.config?.mode).toBe('production');
    expect(loaded.config?.lockAfterMinutes).toBe(5);
    expect(loaded.problems.map((p) => `${p.source}:${p.key}`).sort()).toEqual(['user:mode', 'user:ui.theme']);
  });

  it('reports unreadable or malformed files and registry failures', async () => {
    const denied = Object.assign(new Error('EACCES'), { code: 'EACCES' });
    const broken = await loadConfiguration({ platform: 'linux', env: {}, userDataDir: USER_DATA, readFile: files({ [MACHINE]: '{ "mode": "production",\n  oops }' }) });
    expect(broken.config).toBeNull();
    expect(broken.problems).toEqual([{ key: '(fichier)', source: 'machine', message: 'JSON invalide (ligne 2, colonne 3)', location: MACHINE }]);
    const unreadable = await loadConfiguration({ platform: 'linux', env: {}, userDataDir: USER_DATA, readFile: files({ [MACHINE]: denied }) });
    expect(unreadable.problems).toEqual([{ key: '(fichier)', source: 'machine', message: 'fichier non lisible (droits insuffisants)', location: MACHINE }]);
    const array = await loadConfiguration({ platform: 'linux', env: {}, userDataDir: USER_DATA, readFile: files({ [MACHINE]: '[]' }) });
    expect(array.problems[0]!.message).toBe('un objet JSON { … } est attendu');
    const failing = { readValues: () => { throw new Error('reg.exe introuvable'); } };
    const registry = await loadConfiguration({ platform: 'win32', env: {}, userDataDir: USER_DATA, registry: failing, readFile: files({}) });
    expect(registry.problems).toEqual([{ key: '(fichier)', source: 'policy', message: 'stratégies illisibles dans le registre (reg.exe introuvable)', location: POLICY_KEY }]);
    const explicit = await loadConfiguration({ platform: 'linux', env: {}, userDataDir: USER_DATA, machineFile: '/srv/practice.json', readFile: files({ '/srv/practice.json': sample() }) });
    expect(explicit.config?.practice.siret).toBe('81234567800013');
  });

  it('types registry values from the schema and unflattens dotted names', () => {
    expect(coercePolicyValue('lockAfterMinutes', '30')).toBe(30);
    expect(coercePolicyValue('doctorValidationRequired', 0)).toBe(false);
    expect(coercePolicyValue('updates.disabled', 'true')).toBe(true);
    expect(coercePolicyValue('practice.siret', 81234567)).toBe('81234567');
    expect(coercePolicyValue('practice.siret', '81234567800013')).toBe('81234567800013');
    expect(coercePolicyValue('psc.clientAuth.method', 'private_key_jwt')).toBe('private_key_jwt');
    expect(coercePolicyValue('mssante.mailboxes', '[{"label":"x"}]')).toEqual([{ label: 'x' }]);
    expect(coercePolicyValue('unknown.key', '1')).toBe('1');
    expect(unflatten({ 'a.b': 1, 'a.c': 2, d: 3 })).toEqual({ value: { a: { b: 1, c: 2 }, d: 3 }, conflicts: [] });
    expect(unflatten({ a: 1, 'a.b': 2 }).conflicts).toEqual(['a.b']);
  });
});

describe('reg query provider', () => {
  const output = [
    '',
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\LGC S\u0082gur',
    '    (par d\u0082faut)    REG_SZ    ',
    '    mode    REG_SZ    production',
    '    lockAfterMinutes    REG_DWORD    0x1e',
    '    practice.name    REG_SZ    Cabinet m\u0082dical des Tilleuls',
    '',
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\LGC S\u0082gur\\psc',
    '    clientId    REG_SZ    lgc client',
    '    empty    REG_SZ',
    '',
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\LGC S\u0082gur\\psc\\clientAuth',
    '    secretRef    REG_EXPAND_SZ    file:%ProgramData%\\LGC S\u0082gur\\psc.secret',
    '    list    REG_MULTI_SZ    a\\0b',
    '    blob    REG_BINARY    0102',
    '',
  ].join('\r\n');
  // As reg.exe writes it on a French Windows: code page 850 (é = 0x82).
  const cp850 = Uint8Array.from([...output].map((c) => c.charCodeAt(0)));

  it('decodes the console code page and maps subkeys to dotted names', () => {
    const text = decodeConsoleOutput(cp850);
    expect(text).toContain('Cabinet médical des Tilleuls');
    expect(decodeConsoleOutput(Buffer.from('Ségur', 'utf8'))).toBe('Ségur');
    expect(parseRegQueryOutput(text, POLICY_KEY, { PROGRAMDATA: 'C:\\ProgramData' })).toEqual({
      mode: 'production',
      lockAfterMinutes: 30,
      'practice.name': 'Cabinet médical des Tilleuls',
      'psc.clientId': 'lgc client',
      'psc.empty': '',
      'psc.clientAuth.secretRef': 'file:C:\\ProgramData\\LGC Ségur\\psc.secret',
      'psc.clientAuth.list': '["a","b"]',
    });
  });

  it('runs reg.exe only on Windows and treats a missing key as no policy', () => {
    const calls: string[][] = [];
    const win = createRegQueryRegistry({ platform: 'win32', env: {}, run: (args) => (calls.push(args), cp850) });
    expect(win.readValues(POLICY_KEY).mode).toBe('production');
    expect(calls).toEqual([['query', POLICY_KEY, '/s', '/reg:64']]);
    expect(createRegQueryRegistry({ platform: 'win32', run: () => null }).readValues(POLICY_KEY)).toEqual({});
    const linux = createRegQueryRegistry({ platform: 'linux', run: () => { throw new Error('must not run'); } });
    expect(linux.readValues(POLICY_KEY)).toEqual({});
  });
});
