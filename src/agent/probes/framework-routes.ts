import * as dc from 'node:diagnostics_channel';
import { kFrameworkRoute, kKoaContext } from './route';
import { wrapMethod } from '../queries/wrap';

/**
 * Frameworks that keep the matched route away from Node's request object tell it here.
 * Fastify (4.x late, 5.x) publishes its handler start on a TracingChannel with the route's
 * URL template; NestJS on Fastify goes the same way. Koa keeps @koa/router's match on its own
 * context, which we tie to the raw request when Koa creates it.
 */
export function subscribeFastifyRoutes(): void {
  dc.subscribe('tracing:fastify.request.handler:start', (message: unknown) => {
    try {
      const m = message as { request?: { raw?: Record<symbol, unknown> }; route?: { url?: unknown } };
      const raw = m.request?.raw;
      if (raw && typeof m.route?.url === 'string') raw[kFrameworkRoute] = m.route.url;
    } catch {
      /* never into the app */
    }
  });
}

/** Wraps Koa's `Application.prototype.createContext` (koa/lib/application.js exports the class). */
export function patchKoaApplication(Application: unknown): void {
  if (typeof Application !== 'function') return;
  wrapMethod(Application.prototype, 'createContext', (original) =>
    function createContext(this: unknown, req: unknown) {
      const ctx = original.apply(this, arguments as unknown as unknown[]);
      try {
        if (req !== null && typeof req === 'object') (req as Record<symbol, unknown>)[kKoaContext] = ctx;
      } catch {
        /* never into the app */
      }
      return ctx;
    },
  );
}
