import type {
  AgentMessage,
  CpuMessage,
  EventLoopMessage,
  GcMessage,
  HeapMeasureMessage,
  HelloMessage,
  HttpMessage,
  ListenMessage,
  MemoryMessage,
  PoolsMessage,
  QueryMessage,
  SourceLocation,
} from '../../protocol';
import { HeapSiteHistory } from './site-history';
import { Interner } from './interner';
import { RingBuffer } from './ring-buffer';

/** How much of each stream a session keeps; older items are let go and counted. */
export interface SessionLimits {
  memory: number;
  gc: number;
  eventLoop: number;
  cpu: number;
  http: number;
  queries: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  memory: 24 * 3600, // a day of 1 s samples
  gc: 100_000,
  eventLoop: 24 * 3600,
  cpu: 24 * 3600,
  http: 200_000,
  queries: 200_000,
};

export type LocationMapper = (loc: SourceLocation) => SourceLocation;

/** Everything one process reported, in bounded buffers. Pure: fed by messages, no I/O. */
export class Session {
  hello: HelloMessage | null = null;
  /** first and last message time (epoch ms) */
  firstT = Infinity;
  lastT = 0;
  ended = false;
  endedAt: number | null = null;
  exitCode: number | undefined;
  readonly memory: RingBuffer<MemoryMessage>;
  readonly gc: RingBuffer<GcMessage>;
  readonly eventLoop: RingBuffer<EventLoopMessage>;
  readonly cpu: RingBuffer<CpuMessage>;
  readonly http: RingBuffer<HttpMessage>;
  readonly queries: RingBuffer<QueryMessage>;
  /** the app's database pools, as they changed (at most one sample a second) */
  readonly pools = new RingBuffer<PoolsMessage>(24 * 3600);
  readonly listens: ListenMessage[] = [];
  /** heap after a forced GC, per load round (bounded by the number of rounds asked) */
  readonly heapMeasures: HeapMeasureMessage[] = [];
  /** live bytes per allocation site over time, from the sampling heap profiler */
  readonly heapSites = new HeapSiteHistory();
  httpCount = 0;
  httpErrors = 0;
  queryCount = 0;
  /** messages the agent could not keep, by its own count */
  agentDropped = 0;
  /** frames the server dropped as invalid */
  framesDropped = 0;

  constructor(
    readonly pid: number,
    limits: SessionLimits = DEFAULT_SESSION_LIMITS,
    private readonly mapLocation?: LocationMapper,
  ) {
    this.memory = new RingBuffer(limits.memory);
    this.gc = new RingBuffer(limits.gc);
    this.eventLoop = new RingBuffer(limits.eventLoop);
    this.cpu = new RingBuffer(limits.cpu);
    this.http = new RingBuffer(limits.http);
    this.queries = new RingBuffer(limits.queries);
  }

  /** When the process started (its own clock), else its first message. */
  get startedAt(): number {
    const first = Number.isFinite(this.firstT) ? this.firstT : 0;
    return this.hello?.startedAt ?? first;
  }

  /** "node app.js", with the script relative to the process's cwd. */
  get command(): string {
    const argv = this.hello?.argv ?? [];
    if (argv.length === 0) return `pid ${this.pid}`;
    const cwd = this.hello?.cwd ?? '';
    const exe = argv[0].split(/[\\/]/).pop() ?? argv[0];
    const rest = argv.slice(1).map((a) => (cwd && a.startsWith(cwd + '/') ? a.slice(cwd.length + 1) : a));
    return [exe, ...rest].join(' ');
  }

  /** Total messages lost between the app and this session. */
  get dropped(): number {
    return this.agentDropped + this.framesDropped;
  }

  ingest(msg: AgentMessage): void {
    if (msg.t < this.firstT) this.firstT = msg.t;
    if (msg.t > this.lastT) this.lastT = msg.t;
    switch (msg.type) {
      case 'hello':
        this.hello = msg;
        break;
      case 'memory':
        this.memory.push(msg);
        break;
      case 'gc':
        this.gc.push(msg);
        break;
      case 'eventLoop':
        this.eventLoop.push(msg);
        break;
      case 'cpu':
        this.cpu.push(msg);
        break;
      case 'http':
        this.httpCount++;
        if (msg.status >= 500) this.httpErrors++;
        this.http.push(msg);
        break;
      case 'query':
        this.queryCount++;
        this.queries.push(this.compactQuery(msg));
        break;
      case 'pools':
        this.pools.push(msg);
        break;
      case 'listen':
        this.listens.push(msg);
        break;
      case 'heapMeasure':
        if (this.heapMeasures.length < 10_000) this.heapMeasures.push(msg);
        break;
      case 'heapSites':
        this.heapSites.add(msg, this.mapLocation);
        break;
      case 'dropped':
        this.agentDropped += msg.count;
        break;
      case 'bye':
        this.end(msg.t, msg.exitCode);
        break;
      case 'result':
        break;
    }
  }

  end(t: number, exitCode?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.endedAt = Math.max(t, this.lastT);
    if (exitCode !== undefined) this.exitCode = exitCode;
  }

  private readonly strings = new Interner();

  /** Source-mapped call sites, and one shared copy of each repeated string. */
  private compactQuery(msg: QueryMessage): QueryMessage {
    const map = this.mapLocation;
    const loc = (l: SourceLocation): SourceLocation => {
      const m = map ? map(l) : l;
      return { file: this.strings.intern(m.file), line: m.line, column: m.column };
    };
    const out: QueryMessage = {
      ...msg,
      text: this.strings.intern(msg.text),
      scope: msg.scope && { id: msg.scope.id, name: this.strings.intern(msg.scope.name) },
      callsite: msg.callsite && loc(msg.callsite),
    };
    if (msg.stack) out.stack = msg.stack.map(loc);
    // a library frame stays as generated: a package's source map points into sources it does not ship
    if (msg.library) out.library = { file: this.strings.intern(msg.library.file), line: msg.library.line, column: msg.library.column };
    return out;
  }
}
