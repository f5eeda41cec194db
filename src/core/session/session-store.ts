import { EventEmitter } from 'node:events';
import type { AgentMessage } from '../../protocol';
import { expandSummary } from './summaries';
import { DEFAULT_SESSION_LIMITS, Session, type LocationMapper, type SessionLimits } from './session';

export interface SessionStoreOptions {
  /** ring-buffer sizes per process; those left out keep DEFAULT_SESSION_LIMITS */
  limits?: Partial<SessionLimits>;
  mapLocation?: LocationMapper;
  /** ended sessions kept; the oldest are let go past this */
  maxEndedSessions?: number;
}

/**
 * All processes of a run, one Session each. Fed by the live server or by a recording, so
 * `analyze` sees exactly what `run` saw. Emits 'session' (new), 'message' and 'end'.
 */
export class SessionStore extends EventEmitter {
  private readonly live = new Map<number, Session>();
  private readonly all: Session[] = [];

  constructor(private readonly options: SessionStoreOptions = {}) {
    super();
  }

  /** A new, empty store with this one's limits and source mapping (the live analyzer's mirror after a clear). */
  emptyCopy(): SessionStore {
    return new SessionStore(this.options);
  }

  get sessions(): readonly Session[] {
    return this.all;
  }

  get liveSessions(): Session[] {
    return [...this.live.values()];
  }

  get(pid: number): Session | undefined {
    return this.live.get(pid) ?? [...this.all].reverse().find((s) => s.pid === pid);
  }

  ingest(msg: AgentMessage): Session {
    // A late message of a process that already ended (e.g. the server's drop count, recorded
    // after the connection closed) belongs to it; only a hello starts a new process.
    let session = this.live.get(msg.pid) ?? (msg.type === 'hello' ? undefined : this.get(msg.pid));
    // A hello for a pid whose session ended is a new process that got the same pid.
    if (!session || (msg.type === 'hello' && session.ended)) {
      session = new Session(msg.pid, { ...DEFAULT_SESSION_LIMITS, ...this.options.limits }, this.options.mapLocation);
      this.live.set(msg.pid, session);
      this.all.push(session);
      this.trimEnded();
      this.emit('session', session);
    }
    // Listeners (charts, live analysis, mirrors) see the requests and GCs a summary stands for.
    const expanded = expandSummary(msg);
    if (expanded !== null) {
      for (const h of expanded) {
        session.ingest(h);
        this.emit('message', session, h);
      }
      return session;
    }
    session.ingest(msg);
    this.emit('message', session, msg);
    if (msg.type === 'bye') this.finish(session);
    return session;
  }

  /** The connection of `pid` closed (with or without a bye). */
  disconnected(pid: number, t: number, framesDropped = 0): void {
    // After a bye the session is no longer live, but the frames still count toward it.
    const session = this.get(pid);
    if (!session) return;
    session.framesDropped += framesDropped;
    session.end(t);
    this.finish(session);
  }

  /** Emits 'end' once: when the session stops being the live one of its pid. */
  private finish(session: Session): void {
    if (this.live.get(session.pid) !== session) return;
    this.live.delete(session.pid);
    this.emit('end', session);
  }

  private trimEnded(): void {
    const max = this.options.maxEndedSessions ?? 1000;
    let ended = this.all.filter((s) => s.ended).length;
    for (let i = 0; ended > max && i < this.all.length; ) {
      if (this.all[i].ended) {
        this.all.splice(i, 1);
        ended--;
      } else i++;
    }
  }
}
