import { app, BrowserWindow, ipcMain, net, protocol, session, shell, type WebContents } from 'electron';
import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EVENT_NAMES } from '../../shared/contract';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import { IPC_EVENT_CHANNEL, IPC_RPC_CHANNEL } from '../../shared/ipc-channels';
import { bootApp, type Booted } from '../boot';
import { PRODUCT_NAME } from '../paths';
import { APP_ORIGIN, createIpcHandler } from '../services/rpc/sender-guard';
import { isAllowedExternalUrl } from './external-urls';
import { startAutoUpdates } from './updates';

/**
 * The thin Electron shell: one window, the app:// protocol serving the built renderer, the IPC
 * binding of the contract, and the security baseline (sandbox, isolation, CSP, navigation and
 * window-open guards, no permissions, single instance). Everything else lives in services.
 */

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = resolve(here, '../renderer');
const preloadPath = join(here, 'preload.cjs');

app.setName(PRODUCT_NAME);
protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

function argValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const dataDir = resolve(argValue('--data-dir') ?? process.env.LGC_DATA_DIR ?? app.getPath('userData'));
const trustedWebContents = new Set<number>();
let booted: Booted | null = null;
let mainWindow: BrowserWindow | null = null;
let allowedLoginOrigins: string[] = [];

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.whenReady().then(start, (error: unknown) => {
    console.error(error);
    app.exit(1);
  });
}

async function openExternal(url: string): Promise<void> {
  if (!isAllowedExternalUrl(url, allowedLoginOrigins)) throw new Error(`refused external URL ${new URL(url).origin}`);
  await shell.openExternal(url);
}

function serveRenderer(): void {
  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'lgc') return new Response('Not found', { status: 404 });
    const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html';
    let file = resolve(rendererDir, relative);
    if (!file.startsWith(rendererDir + sep)) return new Response('Forbidden', { status: 403 });
    if (!existsSync(file)) file = join(rendererDir, 'index.html');
    const response = await net.fetch(pathToFileURL(file).href);
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}

function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url, allowedLoginOrigins)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

async function start(): Promise<void> {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  serveRenderer();

  booted = await bootApp({ dataDir, exactDataDir: argValue('--data-dir') !== undefined || !!process.env.LGC_DATA_DIR, host: 'electron', openExternal, ...(argValue('--config') ? { configFile: resolve(argValue('--config')!) } : {}) });
  if (booted.sandbox) allowedLoginOrigins = [new URL(booted.sandbox.config.psc.issuer).origin];
  startAutoUpdates(booted, { dataDir, configFile: argValue('--config') });
  const services = booted.services;
  ipcMain.handle(IPC_RPC_CHANNEL, createIpcHandler(services.dispatch, trustedWebContents));
  for (const name of EVENT_NAMES) {
    services.events.on(name, () => {
      if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_EVENT_CHANNEL, name);
    });
  }

  mainWindow = new BrowserWindow({
    width: 1400,
    height: 900,
    title: PRODUCT_NAME,
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  trustedWebContents.add(mainWindow.webContents.id);
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  await mainWindow.loadURL(`${APP_ORIGIN}/index.html`);
}

app.on('window-all-closed', () => app.quit());
app.on('will-quit', (event) => {
  if (!booted) return;
  event.preventDefault();
  const closing = booted;
  booted = null;
  void closing.close().finally(() => app.exit(0));
});
