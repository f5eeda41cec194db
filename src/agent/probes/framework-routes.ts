import * as dc from 'node:diagnostics_channel';
import { kFrameworkRoute, kHonoRequest, kKoaContext } from './route';
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

const HONO_WRAPPED = Symbol.for('perf-lens.hono-req');

/**
 * Hono on @hono/node-server: the context's `env.incoming` is Node's request. The `req` getter
 * of Hono's Context (its HonoRequest) is tied to it at first use; at the response's finish the
 * HonoRequest's `routePath` is the route of the last handler Hono dispatched to.
 */
export function patchHonoContext(exports: unknown): void {
  const Context = (exports as { Context?: unknown } | null)?.Context;
  if (typeof Context !== 'function') return;
  const proto = Context.prototype as Record<PropertyKey, unknown>;
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'req');
  const get = descriptor?.get;
  if (!descriptor || typeof get !== 'function' || (get as unknown as Record<symbol, unknown>)[HONO_WRAPPED]) return;
  const wrapped = function req(this: { env?: { incoming?: Record<symbol, unknown> } }) {
    const value = get.call(this);
    try {
      const incoming = this.env?.incoming;
      if (incoming !== null && typeof incoming === 'object' && incoming[kHonoRequest] === undefined) incoming[kHonoRequest] = value;
    } catch {
      /* never into the app */
    }
    return value;
  };
  Object.defineProperty(wrapped, HONO_WRAPPED, { value: true });
  Object.defineProperty(proto, 'req', { ...descriptor, get: wrapped });
}
