import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * RFC 8252 loopback redirect receiver: listens on 127.0.0.1, random port, for one authorization
 * response. The page shown in the browser only tells the user to go back to the application.
 */
export interface LoopbackCallback {
  url: URL;
  respond(outcome: { ok: true } | { ok: false; message: string }): void;
}

export interface LoopbackReceiver {
  redirectUri: string;
  callback: Promise<LoopbackCallback>;
  close(): Promise<void>;
}

const APP_NAME = 'LGC Ségur';

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function resultPage(title: string, text: string): string {
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>${esc(title)}</title></head>`
    + `<body style="font-family:system-ui,sans-serif;max-width:520px;margin:60px auto;text-align:center">`
    + `<h1 style="font-size:1.3em">${esc(title)}</h1><p>${esc(text)}</p></body></html>`;
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': "default-src 'none'",
    Connection: 'close',
  });
  res.end(html);
}

export async function startLoopbackReceiver(callbackPath = '/callback'): Promise<LoopbackReceiver> {
  let resolveCallback!: (cb: LoopbackCallback) => void;
  const callback = new Promise<LoopbackCallback>((resolve) => { resolveCallback = resolve; });
  let received = false;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== callbackPath) {
      send(res, 404, resultPage('Page introuvable', `Revenez à l'application ${APP_NAME}.`));
      return;
    }
    if (received) {
      send(res, 409, resultPage('Connexion déjà traitée', `Vous pouvez fermer cet onglet et revenir à l'application ${APP_NAME}.`));
      return;
    }
    received = true;
    resolveCallback({
      url: new URL(`${url.pathname}${url.search}`, redirectUri),
      respond(outcome) {
        if (res.headersSent) return;
        if (outcome.ok) {
          send(res, 200, resultPage('Connexion réussie', `Vous êtes connecté. Vous pouvez fermer cet onglet et revenir à l'application ${APP_NAME}.`));
        } else {
          send(res, 400, resultPage('Connexion non aboutie', `${outcome.message} Revenez à l'application ${APP_NAME} pour réessayer.`));
        }
      },
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const redirectUri = `http://127.0.0.1:${port}${callbackPath}`;

  return {
    redirectUri,
    callback,
    close: () => new Promise<void>((resolve) => {
      // Let the result page flush (responses carry Connection: close), then force.
      const force = setTimeout(() => server.closeAllConnections(), 2000);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    }),
  };
}
