import { win32 } from 'node:path';
import type { UpdatesSettings } from './sources';

/**
 * Whether (and where) the installed software looks for its own updates. Pure: the shell
 * (`electron/shell/updates.ts`) gathers the facts and hands them to electron-updater.
 *
 * - per-user installs (NSIS "pour moi", AppImage, macOS) update themselves from the generic feed
 *   written at packaging time (`publish` in electron-builder.yml) or `updates.feedUrl`;
 * - per-machine installs (Program Files, MSI, .deb) are versioned by the IT provider: no check;
 * - `updates.disabled` (machine file or policy) wins over the channel;
 * - the training sandbox, a refused configuration and unpackaged runs never check.
 */

export type InstallKind = 'per-user' | 'per-machine' | 'msi' | 'system-package' | 'unpackaged';

export interface InstallFacts {
  platform: NodeJS.Platform;
  /** `app.isPackaged`. */
  packaged: boolean;
  /** `process.execPath`. */
  execPath: string;
  env: NodeJS.ProcessEnv;
  /** Content of an `installer-kind` marker file, if one exists (`msi` or `per-machine`). */
  marker?: string | null;
}

/** The electron-updater channel: `latest` is electron-builder's name for stable (`latest.yml`). */
export type UpdaterChannel = 'latest' | 'beta';

export type UpdateDecision =
  | { check: true; channel: UpdaterChannel; /** Absent: the publisher's feed packaged in app-update.yml. */ feedUrl?: string; reason: string }
  | { check: false; reason: string };

export const UPDATE_CHECK_INTERVAL_MS = 6 * 3600 * 1000;

function underDir(path: string, dir: string): boolean {
  const norm = (p: string) => win32.normalize(p).replace(/[\\/]+$/, '').toLowerCase();
  const file = norm(path);
  const base = norm(dir);
  return base.length > 0 && file.startsWith(base + '\\');
}

/** Program Files folders of a Windows machine (64- and 32-bit), from the environment. */
export function programFilesDirs(env: NodeJS.ProcessEnv): string[] {
  const dirs = [env.ProgramFiles, env['ProgramFiles(x86)'], env.ProgramW6432, env.PROGRAMFILES, env['PROGRAMFILES(X86)']]
    .filter((d): d is string => !!d && win32.isAbsolute(d));
  const systemDrive = env.SystemDrive ?? 'C:';
  dirs.push(`${systemDrive}\\Program Files`, `${systemDrive}\\Program Files (x86)`);
  return [...new Set(dirs)];
}

/** How this copy was installed, from where it runs and the optional `installer-kind` marker. */
export function detectInstallKind(facts: InstallFacts): InstallKind {
  if (!facts.packaged) return 'unpackaged';
  const marker = facts.marker?.trim().toLowerCase();
  if (facts.platform === 'win32') {
    if (marker === 'msi') return 'msi';
    if (marker === 'per-machine') return 'per-machine';
    return programFilesDirs(facts.env).some((dir) => underDir(facts.execPath, dir)) ? 'per-machine' : 'per-user';
  }
  if (facts.platform === 'linux') return facts.env.APPIMAGE ? 'per-user' : 'system-package';
  return 'per-user';
}

export interface UpdatePolicyInput {
  updates: UpdatesSettings;
  install: InstallKind;
  /** The training sandbox is running (no practice configuration). */
  sandbox: boolean;
  /** The configuration has problems (French error screen): nothing is trusted, not even `updates.*`. */
  configurationRefused?: boolean;
}

/** The decision, with a French reason for the log. First matching rule wins. */
export function decideUpdateCheck({ updates, install, sandbox, configurationRefused }: UpdatePolicyInput): UpdateDecision {
  if (install === 'unpackaged') return { check: false, reason: 'Application non empaquetée (développement) : pas de recherche de mises à jour.' };
  if (sandbox) return { check: false, reason: 'Poste en mode formation (bac à sable) : pas de recherche de mises à jour.' };
  if (configurationRefused) return { check: false, reason: 'Configuration du poste refusée : pas de recherche de mises à jour avant sa correction.' };
  if (updates.disabled) {
    return { check: false, reason: 'Mises à jour désactivées par la configuration du poste (updates.disabled) : les versions sont déployées par le prestataire informatique.' };
  }
  if (install === 'msi') {
    return { check: false, reason: 'Installation MSI (par machine) : les versions sont gérées par le service informatique (nouveau .msi par stratégie de groupe), pas de mise à jour automatique.' };
  }
  if (install === 'per-machine') {
    return { check: false, reason: 'Installation pour tous les utilisateurs (Program Files) : les versions sont gérées par le service informatique, pas de mise à jour automatique.' };
  }
  if (install === 'system-package') {
    return { check: false, reason: 'Paquet système (.deb) : les mises à jour passent par le gestionnaire de paquets, pas de mise à jour automatique.' };
  }
  const channel: UpdaterChannel = updates.channel === 'beta' ? 'beta' : 'latest';
  const where = updates.feedUrl ? `flux ${updates.feedUrl}` : "flux de l'éditeur";
  return {
    check: true,
    channel,
    ...(updates.feedUrl ? { feedUrl: updates.feedUrl } : {}),
    reason: `Installation pour l'utilisateur : recherche des mises à jour sur le canal ${updates.channel === 'beta' ? 'beta' : 'stable'} (${where}), toutes les 6 heures.`,
  };
}
