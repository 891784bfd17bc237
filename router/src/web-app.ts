import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { type Express } from 'express';
import type { Logger } from '@azora/kit';

/** Where `npm run build -w clients/web` writes the web app (the same path inside the Docker image). */
export const WEB_APP_DIST = resolve(__dirname, '..', '..', 'clients', 'web', 'dist');

/** Paths the router itself answers; the app's fallback never shadows them. */
const API_PATHS = /^\/(graphql|health|ready|metrics|\.well-known|oauth)(\/|$)/;

/**
 * Serves the built web app at `/`: content-hashed assets cached for a year, `index.html` never cached, and
 * `index.html` for any other page the app routes itself (`/wallet`, `/admin`) when a browser asks for HTML.
 * Registered after the API routes. Without a build (tests of the API alone) nothing is served and the log says how.
 */
export function serveWebApp(app: Express, log: Logger, dist = WEB_APP_DIST): void {
  const index = join(dist, 'index.html');
  if (!existsSync(index)) {
    log.info({ dist }, 'no web app build: http://localhost:4000/ stays empty (npm run build -w clients/web, or npm start)');
    return;
  }
  const htmlHeaders = (res: express.Response) => {
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
  };
  app.use('/assets', express.static(join(dist, 'assets'), { immutable: true, maxAge: '1y', index: false, fallthrough: false }));
  app.use(express.static(dist, { index: false, maxAge: '1h' }));
  app.use((req, res, next) => {
    // A path with a file extension is a file that does not exist (404), not a page of the app.
    if ((req.method !== 'GET' && req.method !== 'HEAD') || API_PATHS.test(req.path) || /\.\w+$/.test(req.path) || !req.accepts('html')) return next();
    htmlHeaders(res);
    res.sendFile(index);
  });
}
