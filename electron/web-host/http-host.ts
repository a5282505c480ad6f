import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { EventEmitter } from 'node:events';
import { EVENT_NAMES, type EventName } from '../../shared/contract';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import type { Logger } from '../services/log/logger';
import type { Dispatch } from '../services/rpc/dispatch';

/**
 * Browser host: the contract served over loopback HTTP with the built renderer, so the real
 * renderer runs against the real services in any Chromium (tests, machines without Electron).
 * Security: 127.0.0.1 only, random port, per-launch secret required on every request (cookie
 * set by the one-time login URL, or a Bearer header for scripts), Host and Origin checked
 * (DNS rebinding, cross-site requests), JSON-only RPC, strict CSP on every page.
 */
export interface BrowserHostOptions {
  dispatch: Dispatch;
  events: EventEmitter<Record<EventName, []>>;
  /** Built renderer (vite build output). */
  staticDir: string;
  logger: Logger;
  port?: number;
  token?: string;
}

export interface BrowserHost {
  /** Origin, e.g. http://127.0.0.1:43210 */
  origin: string;
  /** Address to open: sets the session cookie then lands on the app. */
  loginUrl: string;
  token: string;
  /** Asks every open page to open a URL (the "system browser" of the browser host is the browser itself). */
  openInPage(url: string): void;
  close(): Promise<void>;
}

const COOKIE = 'lgc_host_token';
/** Largest call: a 50 Mo CSV import as base64 in JSON (shared/import.ts), with some room. */
const MAX_BODY = 72 * 1024 * 1024;
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readCookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { dispatch, events, logger } = options;
  const token = options.token ?? randomBytes(32).toString('base64url');
  const staticRoot = resolve(options.staticDir);
  const streams = new Set<ServerResponse>();
  let origin = '';
  let allowedHosts = new Set<string>();

  const authorised = (req: IncomingMessage): boolean => {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const presented = bearer ?? readCookie(req, COOKIE);
    return !!presented && safeEqual(presented, token);
  };

  const serveStatic = (pathname: string, res: ServerResponse) => {
    const relative = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    let file = resolve(staticRoot, relative);
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) return sendText(res, 403, 'Accès refusé.');
    if (!existsSync(file) || !statSync(file).isFile()) file = join(staticRoot, 'index.html'); // single-page app
    if (!existsSync(file)) return sendText(res, 500, "L'interface n'est pas construite : lancez `npm run build`.");
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  };

  const server = createServer(async (req, res) => {
    try {
      securityHeaders(res);
      if (!allowedHosts.has(req.headers.host ?? '')) return sendText(res, 421, 'Hôte non autorisé.');
      const url = new URL(req.url ?? '/', origin);

      if (url.pathname === '/__login') {
        const presented = url.searchParams.get('t') ?? '';
        if (!safeEqual(presented, token)) return sendText(res, 401, 'Lien de connexion invalide.');
        res.writeHead(302, { 'Set-Cookie': `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`, Location: '/' });
        return res.end();
      }
      if (!authorised(req)) {
        return sendText(res, 401, "Accès refusé : ouvrez l'adresse complète affichée au démarrage de LGC Ségur.");
      }

      if (url.pathname.startsWith('/rpc/')) {
        if (req.method !== 'POST') return sendText(res, 405, 'Méthode non autorisée.');
        if (req.headers.origin && req.headers.origin !== origin) return sendText(res, 403, 'Origine refusée.');
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return sendText(res, 415, 'JSON attendu.');
        let args: unknown;
        try {
          const body = await readBody(req);
          args = body ? JSON.parse(body) : {};
        } catch (error) {
          if ((error as Error).message === 'body too large') {
            return sendJson(res, 413, { ok: false, error: { code: 'BAD_INPUT', message: 'Requête trop volumineuse (fichier de 50 Mo au plus).' } });
          }
          return sendJson(res, 400, { ok: false, error: { code: 'BAD_INPUT', message: 'Requête illisible.' } });
        }
        const method = decodeURIComponent(url.pathname.slice('/rpc/'.length));
        return sendJson(res, 200, await dispatch(method, args));
      }

      if (url.pathname === '/events') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
        res.write(': ok\n\n');
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }

      if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Méthode non autorisée.');
      return serveStatic(url.pathname, res);
    } catch (error) {
      logger.error('browser host request failed', { error });
      if (!res.headersSent) sendText(res, 500, 'Erreur interne.');
      else res.end();
    }
  });

  const broadcast = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const stream of streams) stream.write(frame);
  };
  const listeners = EVENT_NAMES.map((name) => {
    const fn = () => broadcast('lgc', { name });
    events.on(name, fn);
    return [name, fn] as const;
  });
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': ping\n\n');
  }, 15_000);
  heartbeat.unref();

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolvePromise());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  logger.info('browser host listening', { origin });

  return {
    origin,
    loginUrl: `${origin}/__login?t=${encodeURIComponent(token)}`,
    token,
    openInPage: (url) => broadcast('open-url', { url }),
    async close() {
      clearInterval(heartbeat);
      for (const [name, fn] of listeners) events.off(name, fn);
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
