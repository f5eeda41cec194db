import * as dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { micro } from '../clock';
import type { AgentContext } from '../context';
import type { HttpMessage, QueryScope } from '../../protocol/messages';
import { wasQueried, type Scopes } from '../scope';
import { MAX_SUMMARY_REQUESTS, RequestSummary } from './request-summary';
import { WindowTimer } from './window-timer';
import { subscribeFastifyRoutes } from './framework-routes';
import { frameworkRoute, lastUrlMemo } from './route';

const kStart = Symbol('perfLens.start');
const kScope = Symbol('perfLens.scope');
const kPath = Symbol('perfLens.path');
const kRoute = Symbol('perfLens.route');

type TrackedRequest = IncomingMessage & {
  [kStart]?: number;
  [kScope]?: QueryScope | null;
  [kPath]?: string;
  [kRoute]?: string;
  baseUrl?: unknown;
  route?: { path?: unknown } | null;
};

interface ServerMessage {
  request: TrackedRequest;
  response: ServerResponse;
}

export interface HttpProbe {
  /** Sends the requests folded so far (the exit path calls it before the bye). */
  flush(): void;
}

/**
 * Requests the app's servers answer, through diagnostics_channel (no patching). With a
 * database driver loaded, each request becomes a scope: enterWith() in the start subscriber
 * puts it in the async context the handlers run in, and a request whose scope ran a query is
 * sent as its own `http` message (the N+1 detectors weigh its queries against it). Every other
 * request is folded into an `httpSummary` (see RequestSummary): a message per request was most of
 * the agent's cost on a light handler. Folded requests are sent `summaryIntervalMs` (default
 * 100) after the first one of a window: well inside the live charts' goal of an event on the
 * chart within 250 ms (p95), at most ten small messages a second however busy the app, and no
 * timer at all while it serves nothing.
 */
export function installHttpProbe(ctx: AgentContext, scopes: Scopes, summaryIntervalMs: number): HttpProbe {
  const pid = ctx.pid;
  const summary = new RequestSummary(pid);
  const urlRoute = lastUrlMemo();
  subscribeFastifyRoutes();

  const flush = () => {
    sendTimer.disarm();
    const msg = summary.take(ctx.now());
    if (msg !== null) ctx.emit(msg);
  };
  const sendTimer = new WindowTimer(summaryIntervalMs, flush);

  dc.subscribe('http.server.request.start', (message: unknown) => {
    try {
      const req = (message as ServerMessage).request;
      req[kStart] = ctx.now();
      // The route names the scope; without scopes (no database driver) it waits for the finish.
      if (scopes.active) {
        const { path, route } = urlRoute(req.url);
        req[kPath] = path;
        req[kRoute] = route;
        req[kScope] = scopes.enterRequest(`${req.method} ${route}`);
      }
    } catch {
      /* never into the app */
    }
  });

  dc.subscribe('http.server.response.finish', (message: unknown) => {
    try {
      const { request: req, response: res } = message as ServerMessage;
      const start = req[kStart];
      if (start === undefined) return;
      const t = ctx.now();
      // A framework's template needs no path; a folded request never sends one.
      const route = frameworkRoute(req) ?? req[kRoute] ?? urlRoute(req.url).route;
      const method = req.method ?? 'GET';
      const scope = req[kScope];
      if (!scope || !wasQueried(scope)) {
        summary.add(method, route, res.statusCode, t - start, t);
        if (summary.size >= MAX_SUMMARY_REQUESTS) flush();
        else sendTimer.arm();
        return;
      }
      // Times to the microsecond: shorter numbers are cheaper to stringify and to send (the
      // transport also sends them as rows, see HttpRow).
      const http: HttpMessage = {
        type: 'http',
        pid,
        t: micro(t),
        method,
        route,
        status: res.statusCode,
        durationMs: micro(t - start),
        scope: scope.id,
        path: req[kPath] ?? urlRoute(req.url).path,
      };
      ctx.emit(http);
    } catch {
      /* never into the app */
    }
  });
  return { flush };
}
