import { openCoordination } from "../coordination-api.js";
import { errorKind } from "../util/errors.js";
import type { Role } from "./spi-roles.js";

/** agent-limit: one spawn into the given session at the parent's signal; reports "spawned" or the error's code. */
const limitedSpawn: Role = async (job, io) => {
  const store = await openCoordination(job.url, job.adapterOptions);
  io.emit({ t: "ready" });
  await io.waitFor("go");
  let outcome = "spawned";
  try {
    await store.agents.spawn(job.params.session as string, { role: "worker" });
  } catch (err) {
    outcome = errorKind(err);
  }
  await store.close();
  return { outcome };
};

export const AGENT_ROLES: Record<string, Role> = {
  "limited-spawn": limitedSpawn,
};
