import type { JsonObject, JsonValue } from "../json/types.js";
import type { AgentStatus, Condition, FinalSessionStatus, SessionStatus } from "./types.js";

// The batch operation types alone, so that the store interface (store-api.ts) can name them
// without importing the planner, which needs the store itself.

export interface Target {
  /** A named document (default `global`). */
  doc?: string;
  /** A session's document instead of a named one. */
  session?: string;
}

/** One operation of a batch: plain JSON, so a batch can come from a file or a pipe. */
export type BatchOperation = Condition &
  (
    | ({ op: "state.set"; pointer: string; value: JsonValue } & Target)
    | ({ op: "state.delete"; pointer: string } & Target)
    | ({ op: "state.merge"; patch: JsonValue } & Target)
    | ({ op: "state.patch"; operations: JsonValue } & Target)
    | ({ op: "state.increment"; pointer: string; by?: number } & Target)
    | ({ op: "state.replace"; value: JsonValue } & Target)
    | ({ op: "state.remove" } & Target)
    | { op: "session.create"; id?: string; name?: string; project?: string; metadata?: JsonObject }
    | { op: "session.update"; id: string; name?: string; status?: SessionStatus; project?: string | null; metadata?: JsonObject }
    | { op: "session.end"; id: string; status?: FinalSessionStatus }
    | { op: "session.delete"; id: string }
    | { op: "agent.spawn"; sessionId: string; id?: string; role: string; status?: AgentStatus; pid?: number | null; metadata?: JsonObject }
    | { op: "agent.update"; id: string; role?: string; status?: AgentStatus; pid?: number | null; metadata?: JsonObject }
    | { op: "agent.heartbeat"; id: string }
    | { op: "config.set"; project: string; config: JsonObject }
    | { op: "config.delete"; project: string }
    | { op: "tools.register"; tool: JsonObject }
    | { op: "tools.unregister"; name: string }
  );

export const BATCH_OPERATIONS = [
  "state.set",
  "state.delete",
  "state.merge",
  "state.patch",
  "state.increment",
  "state.replace",
  "state.remove",
  "session.create",
  "session.update",
  "session.end",
  "session.delete",
  "agent.spawn",
  "agent.update",
  "agent.heartbeat",
  "config.set",
  "config.delete",
  "tools.register",
  "tools.unregister",
] as const;

/** Options of `Store.batch`. */
export interface BatchOptions {
  /** Makes the whole batch idempotent, as `Condition.idempotencyKey` does for one write. */
  idempotencyKey?: string;
}
