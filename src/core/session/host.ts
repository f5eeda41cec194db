import type { AgentMessage } from '../../protocol';
import type { AgentConnection, SessionServer } from '../server/session-server';
import { SourceMapper } from '../sourcemaps';
import { expandSummary } from './summaries';
import { SessionStore, type SessionStoreOptions } from './session-store';

/**
 * The one wiring of a session server to a store, for the CLI, the extension and the benches:
 * call sites arrive as the generated JS the app ran and are source-mapped into the store (a
 * tsc-built app shows its `.ts` lines wherever it was launched from); every message but command
 * results is recorded (when asked) and ingested; at a disconnect the server's own count of
 * invalid frames joins the agent's drops, so `analyze` of the recording reports the same total.
 */
export interface SessionHostHooks {
  /** every message ingested, in order (the CLI's `--record`) */
  record?: (msg: AgentMessage) => void;
  /** after each message is ingested */
  onMessage?: (msg: AgentMessage, conn: AgentConnection) => void;
  /** before the store hears of the disconnect */
  onDisconnect?: (conn: AgentConnection) => void;
}

/** A store whose call sites are source-mapped. */
export function createSessionStore(options: Omit<SessionStoreOptions, 'mapLocation'> = {}): SessionStore {
  const mapper = new SourceMapper();
  return new SessionStore({ ...options, mapLocation: (loc) => mapper.map(loc) });
}

export function connectSessionServer(server: SessionServer, store: SessionStore, hooks: SessionHostHooks = {}): void {
  server.on('message', (msg: AgentMessage, conn: AgentConnection) => {
    if (msg.type === 'result') return;
    // A recording keeps one `http` line per request and one `gc` line per collection, as it
    // always has: a summary is written as the messages it stands for.
    const expanded = expandSummary(msg);
    if (expanded !== null) {
      for (const h of expanded) {
        hooks.record?.(h);
        store.ingest(h);
      }
    } else {
      hooks.record?.(msg);
      store.ingest(msg);
    }
    hooks.onMessage?.(msg, conn);
  });
  server.on('disconnect', (conn: AgentConnection) => {
    hooks.onDisconnect?.(conn);
    if (conn.pid === null) return;
    const session = store.get(conn.pid);
    const t = session?.lastT ?? Date.now();
    if (conn.framesDropped) {
      const msg: AgentMessage = { type: 'dropped', pid: conn.pid, t, count: conn.framesDropped };
      hooks.record?.(msg);
      store.ingest(msg);
    }
    store.disconnected(conn.pid, t);
  });
}
