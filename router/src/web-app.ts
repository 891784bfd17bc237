import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { type Express } from 'express';
import type { Logger } from '@azora/kit';

/** Where `npm run build -w clients/web` writes the web app (the same path inside the Docker image). */
export const WEB_APP_DIST = resolve(__dirname, '..', '..', 'clients', 'web', 'dist');

/**
 * The app's Content-Security-Policy: everything from this origin only, nothing inline, no plugins, no framing. The
 * Vite build has no inline script or style (React sets styles through the DOM, which CSP allows), and `connect-src
 * 'self'` covers the GraphQL endpoint and its WebSocket (ws:/wss: to the same host). `frame-ancestors` is the
 * modern X-Frame-Options.
 */
export const WEB_APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Headers on every file of the app; the CSP matters on the HTML, the rest on everything. */
export const WEB_APP_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': WEB_APP_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** Paths the router itself answers; the app's fallback never shadows them. */
const API_PATHS = /^\/(graphql|health|ready|metrics|\.well-known|oauth)(\/|$)/;

/**
 * Serves the built web app at `/` with a strict CSP and the other security headers: content-hashed assets cached for
 * a year, `index.html` never cached, and
 * `index.html` for any other page the app routes itself (`/wallet`, `/admin`) when a browser asks for HTML.
 * Registered after the API routes. Without a build (tests of the API alone) nothing is served and the log says how.
 */
export function serveWebApp(app: Express, log: Logger, dist = WEB_APP_DIST): void {
  const index = join(dist, 'index.html');
  if (!existsSync(index)) {
    log.info(
      { dist },
      'no web app build: http://localhost:4000/ stays empty (npm run build -w clients/web, or npm start)',
    );
    return;
  }
  const secure = (res: express.Response) => {
    for (const [name, value] of Object.entries(WEB_APP_SECURITY_HEADERS)) res.setHeader(name, value);
  };
  app.use(
    '/assets',
    express.static(join(dist, 'assets'), {
      immutable: true,
      maxAge: '1y',
      index: false,
      fallthrough: false,
      setHeaders: secure,
    }),
  );
  app.use(express.static(dist, { index: false, maxAge: '1h', setHeaders: secure }));
  app.use((req, res, next) => {
    // A path with a file extension is a file that does not exist (404), not a page of the app.
    if (
      (req.method !== 'GET' && req.method !== 'HEAD') ||
      API_PATHS.test(req.path) ||
      /\.\w+$/.test(req.path) ||
      !req.accepts('html')
    )
      return next();
    secure(res);
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
}
