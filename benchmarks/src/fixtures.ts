/**
 * Deterministic test data shaped like what agents and hooks store, so sizes and JSON shapes
 * are the same in every run and on every adapter.
 */

export const SESSION_STATUSES = ["active", "completed", "failed", "cancelled"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export interface SessionFixture {
  name: string;
  status: SessionStatus;
  metadata: Record<string, unknown>;
  project: string;
}

/** The i-th session: a quarter of all sessions are active, like a busy workspace. */
export function sessionFixture(i: number): SessionFixture {
  return {
    name: `task ${i}: refactor module ${i % 97}`,
    status: SESSION_STATUSES[i % 4]!,
    metadata: { branch: `feature/${i % 31}`, model: "claude", cwd: `/work/project-${i % 7}`, pid: 10_000 + (i % 5000) },
    project: `project-${i % 7}`,
  };
}

function item(i: number): Record<string, unknown> {
  return {
    id: `item-${i}`,
    status: i % 10 === 0 ? "failed" : i % 3 === 0 ? "running" : "done",
    title: `step ${i} of the plan, with a few words of description`,
    tags: ["agent", `t${i % 13}`],
    cost: (i % 100) / 4,
  };
}

/**
 * A state document whose JSON text is about `bytes` long (within one item, ~150 bytes):
 * a small header the simple query reads, and a list of items the filter query scans.
 */
export function documentOfSize(bytes: number): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    project: { name: "statehouse", phase: "build", owner: "agent-1" },
    counters: { toolCalls: 0, tokens: 0 },
    items: [] as unknown[],
  };
  const items = doc.items as unknown[];
  let size = JSON.stringify(doc).length;
  for (let i = 0; size < bytes; i++) {
    const it = item(i);
    size += JSON.stringify(it).length + 1;
    items.push(it);
  }
  return doc;
}

/** How many items of {@link documentOfSize} the filter `status == "failed"` matches. */
export function failedItems(doc: Record<string, unknown>): number {
  return (doc.items as { status: string }[]).filter((x) => x.status === "failed").length;
}

/** A project config that passes the built-in schema (name, version, settings). */
export function projectConfig(name: string): Record<string, unknown> {
  return {
    name,
    version: 1,
    description: "benchmark project",
    defaultModel: "claude",
    maxConcurrentAgents: 8,
    hooks: { preToolUse: ["statehouse state incr /toolCalls"], postToolUse: [] },
    tools: ["bash", "edit", "search"],
  };
}

/** The size of a value's JSON text in bytes. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
