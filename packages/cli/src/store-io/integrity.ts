import { HISTORY_META, type StorageAdapter } from "@statehouse/core";
import { COLLECTIONS } from "./index-keys.js";
import type { ExportRecord } from "./records.js";

/** What the generic (adapter-independent) checks found. */
export interface GenericCheck {
  readonly records: Record<string, number>;
  readonly sequence: number;
  readonly problems: string[];
}

/**
 * Checks any adapter can answer through the SPI, in addition to its own `check()`: every record
 * lists and counts the same; the domain's indexes hold every session and agent; agents and
 * session documents belong to existing sessions; the recent change log has no gaps.
 */
export async function genericCheck(adapter: StorageAdapter, records: readonly ExportRecord[]): Promise<GenericCheck> {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  for (const c of COLLECTIONS) counts[c] = 0;
  for (const r of records) counts[r.collection] = (counts[r.collection] ?? 0) + 1;
  for (const c of COLLECTIONS) {
    const n = await adapter.count(c);
    if (n !== counts[c]) problems.push(`collection "${c}": count() says ${n}, listing found ${counts[c]}`);
  }
  const indexed: Array<[string, string]> = [
    ["sessions", "created"],
    ["sessions", "status-created"],
    ["agents", "status"],
    ["agents", "session"],
  ];
  for (const [c, index] of indexed) {
    const n = await adapter.count(c, { index });
    if (n !== counts[c]) problems.push(`index "${index}" of "${c}" holds ${n} entries for ${counts[c]} records`);
  }
  const sessions = new Set(records.filter((r) => r.collection === "sessions").map((r) => r.id));
  for (const r of records) {
    if (r.collection === "agents") {
      const sid = (r.value as { sessionId?: unknown } | null)?.sessionId;
      if (typeof sid !== "string" || !sessions.has(sid))
        problems.push(`agent "${r.id}" belongs to a missing session ${JSON.stringify(sid)}`);
    } else if (r.collection === "session-state" && !sessions.has(r.id)) {
      problems.push(`the state document of session "${r.id}" has no session`);
    } else if (historyOfMissingSession(r, sessions) !== undefined) {
      problems.push(`the history of the state document of session "${historyOfMissingSession(r, sessions)}" has no session`);
    }
  }
  const sequence = await adapter.sequence();
  const window = Math.min(100, adapter.capabilities.changeRetention, sequence);
  if (window > 0) {
    const sets = await adapter.changes(sequence - window, window);
    let expect = sequence - window + 1;
    // A log that starts later than asked was trimmed (retention, or a copy of a trimmed store):
    // `changes()` starts at the first change set kept. Only a gap after it, or a log that stops
    // short of the store's sequence, is damage (trimming never removes the latest change set).
    const first = sets[0]?.sequence;
    if (first !== undefined && first > expect) expect = first;
    for (const s of sets) {
      if (s.sequence !== expect) {
        problems.push(`change log: expected sequence ${expect}, found ${s.sequence}`);
        break;
      }
      expect++;
    }
    if (problems.every((p) => !p.startsWith("change log")) && expect !== sequence + 1)
      problems.push(`change log: ends at ${expect - 1}, the store is at sequence ${sequence}`);
  }
  return { records: counts, sequence, problems };
}

/** The session id when `r` is the history record (`history-meta`) of a session's document whose session is missing. */
export function historyOfMissingSession(r: ExportRecord, sessions: ReadonlySet<string>): string | undefined {
  if (r.collection !== HISTORY_META) return undefined;
  const v = r.value as { collection?: unknown; document?: unknown } | null;
  if (v?.collection !== "session-state" || typeof v.document !== "string") return undefined;
  return sessions.has(v.document) ? undefined : v.document;
}
