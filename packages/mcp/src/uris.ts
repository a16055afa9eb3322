import type { ChangeEntry } from "@statehouse/core";

/** The resource URIs, one place, so that resources and change notifications always agree. */
export const URI = {
  state: (name: string) => `statehouse://state/${name}`,
  sessionState: (id: string) => `statehouse://sessions/${id}/state`,
  session: (id: string) => `statehouse://sessions/${id}`,
  sessions: "statehouse://sessions",
  agents: "statehouse://agents",
  config: (project: string) => `statehouse://config/${project}`,
  tools: "statehouse://tools",
} as const;

// Collection names as core writes them (core's on-disk layout, stable by contract).
const STATE = "state";
const SESSION_STATE = "session-state";
const SESSIONS = "sessions";
const AGENTS = "agents";
const CONFIG = "config";
const TOOLS = "tools";

/** The resources a committed change touches. */
export function urisOf(change: ChangeEntry): string[] {
  switch (change.collection) {
    case STATE:
      return [URI.state(change.id)];
    case SESSION_STATE:
      return [URI.sessionState(change.id)];
    case SESSIONS:
      return [URI.session(change.id), URI.sessions];
    case AGENTS:
      return [URI.agents];
    case CONFIG:
      return [URI.config(change.id)];
    case TOOLS:
      return [URI.tools];
    default:
      return [];
  }
}
