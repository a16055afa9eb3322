import type { StorageAdapter } from "@statehouse/core";
import { deleteHistory } from "@statehouse/core/spi";
import { historyOfMissingSession } from "./integrity.js";
import type { ExportRecord } from "./records.js";

/**
 * Deletes what older stores may hold without its session: agents of a missing session, and
 * session state documents written before such writes were refused (E_NOT_FOUND). Each is
 * re-checked inside the transaction, so a session created meanwhile keeps its records.
 * Returns one line per record removed, for doctor's "repaired" list.
 */
export async function removeOrphans(adapter: StorageAdapter, records: readonly ExportRecord[]): Promise<string[]> {
  const sessions = new Set(records.filter((r) => r.collection === "sessions").map((r) => r.id));
  const candidates = records.filter((r) => {
    if (r.collection === "session-state") return !sessions.has(r.id);
    if (historyOfMissingSession(r, sessions) !== undefined) return true;
    if (r.collection !== "agents") return false;
    const sid = (r.value as { sessionId?: unknown } | null)?.sessionId;
    return typeof sid !== "string" || !sessions.has(sid);
  });
  if (candidates.length === 0) return [];
  const { result } = await adapter.transact((tx) => {
    const removed: string[] = [];
    for (const r of candidates) {
      const orphanedHistory = historyOfMissingSession(r, sessions);
      if (orphanedHistory !== undefined) {
        if (tx.get("sessions", orphanedHistory) !== undefined) continue;
        deleteHistory(tx, "session-state", orphanedHistory);
        removed.push(`removed the history of the state document of the missing session "${orphanedHistory}"`);
        continue;
      }
      const current = tx.get(r.collection, r.id);
      if (current === undefined) continue;
      const sid = r.collection === "session-state" ? r.id : (current.value as { sessionId?: unknown } | null)?.sessionId;
      if (typeof sid === "string" && tx.get("sessions", sid) !== undefined) continue;
      tx.delete(r.collection, r.id);
      removed.push(
        r.collection === "agents"
          ? `removed agent "${r.id}" of the missing session ${JSON.stringify(sid)}`
          : `removed the state document of the missing session "${r.id}"`,
      );
    }
    return removed;
  });
  return result;
}
