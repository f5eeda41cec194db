import * as dc from 'node:diagnostics_channel';
import type { AgentContext } from '../context';

/** Published by net.Server once its handle listens (Node 20, 22, 24); the message is `{ server }`. */
const CHANNEL = 'tracing:net.server.listen:asyncEnd';

/** A `listen` message for every TCP server the app starts: the CLI starts `--load` on it. */
export function installListenProbe(ctx: AgentContext): void {
  dc.subscribe(CHANNEL, (message: unknown) => {
    try {
      const server = (message as { server?: { address?: () => unknown } } | null)?.server;
      const address = server?.address?.();
      if (address === null || typeof address !== 'object') return; // a pipe or unix socket
      const { port, address: host } = address as { port: number; address: string };
      if (!Number.isSafeInteger(port)) return;
      ctx.emit({ type: 'listen', pid: ctx.pid, t: ctx.now(), port, address: String(host) });
    } catch {
      /* never into the app */
    }
  });
}
