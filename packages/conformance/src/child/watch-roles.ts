import type { CoordinationStore } from "../coordination-api.js";
import { openJobStore } from "./domain-roles.js";
import { errorKind } from "../util/errors.js";
import type { Role } from "./spi-roles.js";

/**
 * watch: a writer commits `writes` domain writes, each its own change set, and acknowledges each.
 * Writers alternate the kind of write so change sets touch different collections.
 */
const watchWriter: Role = async (job, io) => {
  const store = (await openJobStore(job)) as CoordinationStore;
  const writer = job.params.writer as number;
  io.emit({ t: "ready" });
  await io.waitFor("go");
  let acked = 0;
  const errors: string[] = [];
  for (let i = 0; i < (job.params.writes as number); i++) {
    try {
      if (i % 3 === 2) await store.sessions.create({ id: `w${writer}-s${i}` });
      else await store.state(`w${writer}`).set("/i", i);
      acked++;
    } catch (err) {
      errors.push(errorKind(err));
    }
  }
  await store.close();
  return { acked, errors };
};

/**
 * watch: follows the store from `since` until it has seen change set `until` (sent by the parent
 * once every writer is done), then reports every sequence it saw, in the order it saw them, with
 * each change set's entries so the parent can compare them with the store's change log.
 */
const watcher: Role = async (job, io) => {
  const store = (await openJobStore(job)) as CoordinationStore;
  const controller = new AbortController();
  let until = Number.POSITIVE_INFINITY;
  const seen: number[] = [];
  const entries: string[] = [];
  const resets: number[] = [];
  void io.waitFor("until").then(
    (cmd) => {
      until = cmd.sequence as number;
      if (seen.length > 0 && seen[seen.length - 1]! >= until) controller.abort();
    },
    () => controller.abort(),
  );
  io.emit({ t: "ready" });
  for await (const ev of store.watch({ since: job.params.since as number, signal: controller.signal })) {
    if (ev.type === "reset") {
      resets.push(ev.since);
      continue;
    }
    seen.push(ev.sequence);
    entries.push(JSON.stringify([...ev.changes].map((e) => `${e.type} ${e.collection} ${e.id} ${e.revision}`).sort()));
    if (ev.sequence >= until) controller.abort();
  }
  await store.close();
  return { seen, entries, resets };
};

export const WATCH_ROLES: Record<string, Role> = {
  "watch-writer": watchWriter,
  watcher,
};
