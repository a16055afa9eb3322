import { createRequire } from "node:module";
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { JsonValue } from "@statehouse/core";
import { type DomainStore, loadOpen } from "../domain-api.js";
import type { ChildJob } from "../harness/job.js";
import { errorKind } from "../util/errors.js";
import type { Role } from "./spi-roles.js";

/**
 * Domain increments from many processes: even writers use the atomic `increment`, odd ones the
 * optimistic `update(fn)` that re-reads and retries on conflict. Both must lose nothing.
 */
/** The store of the job: core's `open`, or a remote target's client module resolved from the working directory. */
export async function openJobStore(job: ChildJob): Promise<DomainStore> {
  if (job.remote !== undefined) {
    const spec = job.remote.module;
    let href: string;
    if (isAbsolute(spec)) href = pathToFileURL(spec).href;
    else {
      try {
        href = pathToFileURL(createRequire(join(process.cwd(), "package.json")).resolve(spec)).href;
      } catch {
        href = spec; // an ESM-only package (no "require" export): let import() resolve it
      }
    }
    const mod = (await import(href)) as { open?: (url: string) => Promise<DomainStore> };
    if (typeof mod.open !== "function") throw new Error(`${job.remote.module} does not export open(url)`);
    return mod.open(job.remote.url);
  }
  const open = await loadOpen();
  if (open === undefined) throw new Error("@statehouse/core does not export open()");
  return open(job.url, job.adapterOptions);
}

const domainIncrement: Role = async (job, io) => {
  const store = await openJobStore(job);
  const doc = store.state("counter");
  const optimistic = (job.params.writer as number) % 2 === 1;
  io.emit({ t: "ready" });
  await io.waitFor("go");
  let acked = 0;
  const errors: string[] = [];
  for (let i = 0; i < (job.params.increments as number); i++) {
    try {
      if (optimistic) {
        await doc.update(
          (cur) => {
            const n = ((cur as { n?: number } | undefined)?.n ?? 0) + 1;
            return { ...((cur as Record<string, JsonValue> | undefined) ?? {}), n };
          },
          { maxAttempts: 1_000 },
        );
      } else {
        await doc.increment("/n");
      }
      acked++;
    } catch (err) {
      errors.push(errorKind(err));
    }
  }
  await store.close();
  return { acked, errors };
};

/**
 * Spawns agents into sessions s0, s1, … in turn, each until the session is gone (another process
 * deletes it meanwhile), so that spawns land between a delete's listing of agents and its commit.
 */
const domainSpawner: Role = async (job, io) => {
  const open = await loadOpen();
  if (open === undefined) throw new Error("@statehouse/core does not export open()");
  const store = await open(job.url, job.adapterOptions);
  io.emit({ t: "ready" });
  await io.waitFor("go");
  let spawned = 0;
  const errors: string[] = [];
  for (let r = 0; r < (job.params.sessions as number); r++) {
    for (let i = 0; i < 10_000; i++) {
      try {
        await store.agents.spawn(`s${r}`, { id: `s${r}-c${i}`, role: "worker" });
        spawned++;
        // A pause of ~2 ms between spawns: frequent enough that spawns land between a delete's
        // listing and its commit, not a saturating loop, against which an optimistic delete can be
        // starved (a known limit: the delete then reports E_CONFLICT and removes nothing).
        await new Promise((resolve) => setTimeout(resolve, 2));
      } catch (err) {
        const kind = errorKind(err);
        if (kind === "E_NOT_FOUND") break;
        errors.push(kind);
        break;
      }
    }
  }
  await store.close();
  return { spawned, errors };
};

export const DOMAIN_ROLES: Record<string, Role> = {
  "domain-increment": domainIncrement,
  "domain-spawner": domainSpawner,
};
