/**
 * The one Content-Security-Policy of the renderer, sent by the Electron protocol handler and by
 * the browser host. No inline script, no remote origin, no plugins, no framing; documents shown
 * to the user (PDF, CDA narrative) are rendered without executing anything they contain.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
