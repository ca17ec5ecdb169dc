import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { CountersignError } from '@countersign/core';
import { WEB_SECURITY_HEADERS } from './content-security-policy.js';

/**
 * The web inbox's pages. Each is the same index.html; the page's router draws the view. They
 * are listed rather than caught by a wildcard, so an unknown `/v1/…` path stays a
 * problem+json 404 and never turns into an HTML page. Keep in step with packages/web/src/routes.ts.
 */
export const SPA_PATHS = [
  '/',
  '/actions/:id',
  '/history',
  '/audit',
  '/policy',
  '/insights',
  '/standing-approvals',
  '/standing-approvals/:id',
  '/login',
  '/login/one-time',
] as const;

/**
 * Serves the built web inbox from `dir` (packages/web/dist): hashed assets under /assets/,
 * cached for a year (their names change when they do), and index.html, never cached.
 */
export const spaRoutes =
  (dir: string | undefined): FastifyPluginAsync =>
  async (app) => {
    // Scoped to this plugin: the JSON API keeps its own headers.
    app.addHook('onSend', async (_request, reply) => {
      reply.headers(WEB_SECURITY_HEADERS);
    });
    if (dir !== undefined && existsSync(join(dir, 'assets'))) {
      await app.register(fastifyStatic, {
        root: join(dir, 'assets'),
        prefix: '/assets/',
        index: false,
        dotfiles: 'deny',
        maxAge: '365d',
        immutable: true,
        decorateReply: false,
        schemaHide: true,
      });
    }
    const index = dir === undefined ? undefined : join(dir, 'index.html');
    for (const path of SPA_PATHS) {
      app.get(path, { schema: { hide: true } }, async (_request, reply) => {
        // Read per request (it is 1 KB): a rebuilt inbox is served without a restart.
        const html = index && (await readFile(index).catch(() => undefined));
        if (!html) {
          throw new CountersignError(
            'not_found',
            'the web inbox is not built: run `npm run build` (or `npm run build -w @countersign/web`)',
          );
        }
        return reply
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(html);
      });
    }
  };
