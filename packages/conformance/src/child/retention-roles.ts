import { openCoordination } from "../coordination-api.js";
import type { DomainStore } from "../domain-api.js";
import { errorKind } from "../util/errors.js";
import type { Role } from "./spi-roles.js";

/** What the retention clauses need of a store beyond the domain API: `gc()`. */
export interface GcReport {
  readonly sessions: number;
  readonly stateDocuments: number;
  readonly agents: number;
  readonly idempotencyRecords: number;
  readonly changeSets: number;
  readonly dryRun: boolean;
}

export interface RetentionStore extends DomainStore {
  gc(options?: Record<string, unknown>): Promise<GcReport>;
}

/** Says why the store has no gc(), or undefined. */
export function lacksGc(store: DomainStore): string | undefined {
  return typeof (store as Partial<RetentionStore>).gc === "function" ? undefined : "this @statehouse/core's Store has no gc()";
}

/**
 * retention writer: `sessions` rounds of: create a session, write its state and a global document,
 * then end every second session, and revive every fourth of those. Reports each acknowledged write:
 * which sessions it left active (with their last state) and which it left ended.
 */
const retentionWriter: Role = async (job, io) => {
  const store = await openCoordination(job.url, job.adapterOptions);
  const writer = job.params.writer as number;
  io.emit({ t: "ready" });
  await io.waitFor("go");
  const active: Record<string, number> = {};
  const ended: string[] = [];
  const errors: string[] = [];
  let global = -1;
  for (let i = 0; i < (job.params.sessions as number); i++) {
    const id = `w${writer}-s${i}`;
    try {
      await store.sessions.create({ id, name: id });
      await store.sessionState(id).set("/v", i);
      active[id] = i;
      if (i % 2 === 1) {
        await store.agents.spawn(id, { role: "worker" });
        await store.sessions.end(id, i % 3 === 0 ? "failed" : "completed");
        delete active[id];
        ended.push(id);
        if (i % 4 === 3) {
          // Revived: gc may have removed it first (then E_NOT_FOUND, and it stays gone); once the
          // revival is acknowledged it must survive every later gc.
          try {
            await store.sessions.update(id, { status: "active" });
            ended.pop();
            active[id] = i;
          } catch (err) {
            if (errorKind(err) !== "E_NOT_FOUND") throw err;
          }
        }
      }
      await store.state(`w${writer}`).set("/i", i);
      global = i;
    } catch (err) {
      errors.push(`${id}: ${errorKind(err)}`);
    }
  }
  await store.close();
  return { active, ended, global, errors };
};

/** retention gc: runs gc with age 0 over and over until told to stop; reports the totals. */
const retentionGc: Role = async (job, io) => {
  const store = (await openCoordination(job.url, job.adapterOptions)) as unknown as RetentionStore;
  let stop = false;
  void io.waitFor("stop").then(
    () => (stop = true),
    () => (stop = true),
  );
  io.emit({ t: "ready" });
  const totals = { runs: 0, sessions: 0, stateDocuments: 0, agents: 0, changeSets: 0 };
  const errors: string[] = [];
  while (!stop) {
    try {
      const r = await store.gc({ endedOlderThanMs: 0, changeLogMaxEntries: 50, usePolicy: false, batchSize: 3 });
      totals.runs++;
      totals.sessions += r.sessions;
      totals.stateDocuments += r.stateDocuments;
      totals.agents += r.agents;
      totals.changeSets += r.changeSets;
    } catch (err) {
      errors.push(errorKind(err));
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await store.close();
  return { ...totals, errors };
};

export const RETENTION_ROLES: Record<string, Role> = {
  "retention-writer": retentionWriter,
  "retention-gc": retentionGc,
};
