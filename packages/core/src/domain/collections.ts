import { randomBytes } from "node:crypto";

/** Collection names of the domain model. Stable: they are part of every store's on-disk layout. */
export const COLLECTION = {
  state: "state",
  sessionState: "session-state",
  sessions: "sessions",
  agents: "agents",
  config: "config",
  tools: "tools",
} as const;

/** Index names and the separator of composite index keys (ids and statuses never contain it). */
export const SEP = "\u0000";

export const SESSION_INDEX = {
  created: "created",
  updated: "updated",
  statusCreated: "status-created",
  statusUpdated: "status-updated",
  projectCreated: "project-created",
  projectUpdated: "project-updated",
} as const;

export const AGENT_INDEX = {
  session: "session",
  sessionStatus: "session-status",
  status: "status",
} as const;

let lastTime = 0;
let counter = 0;

/**
 * Time-ordered ids (`ses_` + 10 base-32 time digits + 3-char counter + 8 random): sorting by id
 * is sorting by creation, and ids minted in one millisecond by one process still sort in order.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now === lastTime) counter++;
  else {
    lastTime = now;
    counter = 0;
  }
  const time = now.toString(32).padStart(10, "0");
  const seq = (counter % 32768).toString(32).padStart(3, "0");
  return `${prefix}_${time}${seq}${randomBytes(5).toString("hex")}`;
}

/** ISO timestamps that never go backwards within a process (a clock step back repeats the last one; ties sort by id). */
let lastIso = "";
export function nowIso(): string {
  const iso = new Date().toISOString();
  if (iso > lastIso) lastIso = iso;
  return lastIso;
}
