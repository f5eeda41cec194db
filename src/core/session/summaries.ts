import type { AgentMessage, GcMessage, HttpMessage } from '../../protocol';
import { expandGcSummary } from './gc-summary';
import { expandHttpSummary } from './http-summary';

/**
 * The messages a folded summary stands for (`httpSummary` → `http`, `gcSummary` → `gc`), or
 * null for any other message. Every reader past the session server sees only the expanded form.
 */
export function expandSummary(msg: AgentMessage): Array<HttpMessage | GcMessage> | null {
  if (msg.type === 'httpSummary') return expandHttpSummary(msg);
  if (msg.type === 'gcSummary') return expandGcSummary(msg);
  return null;
}
