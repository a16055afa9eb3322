import { AGENT_STATUSES, FINAL_SESSION_STATUSES, type JsonObject, SESSION_STATUSES } from "@statehouse/core";
import { z } from "zod";
import { type ToolContext, defineTool } from "./define.js";
import { condition, expectedRevision, idempotencyKey, optionalJson, paging } from "./schemas.js";

/** session_create, session_list, session_get, session_end, agent_spawn, agent_heartbeat, agent_list. */
export function registerSessionTools(ctx: ToolContext): void {
  const { store } = ctx;

  defineTool(ctx, "session_create", {
    description:
      "Start a new active session (a unit of work that agents join, with its own state document). Returns the session " +
      "with its id; give that id to agent_spawn and to the state tools' session argument.",
    input: {
      name: z.string().optional().describe("A short human-readable name, e.g. 'fix login bug' (default: the id)."),
      project: z.string().optional().describe("The project it belongs to (its config: config_get)."),
      id: z.string().optional().describe("An id of your choosing (default: a new time-ordered ses_… id)."),
      metadata: optionalJson("A JSON object of anything worth keeping with the session."),
      ...idempotencyKey,
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    run: ({ idempotencyKey: key, ...args }) =>
      store.sessions.create({ ...args, metadata: args.metadata as JsonObject | undefined }, condition(undefined, undefined, key)),
  });

  defineTool(ctx, "session_list", {
    description: "List sessions, newest first, optionally only one status or one project. Returns {sessions, cursor?}.",
    input: {
      status: z.enum(SESSION_STATUSES).optional().describe("Only sessions in this status (active for the ones still running)."),
      project: z.string().optional().describe("Only this project's sessions."),
      ...paging(50),
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (args) => {
      const page = await store.sessions.list(args);
      return { sessions: page.items, ...(page.cursor !== undefined && { cursor: page.cursor }) };
    },
  });

  defineTool(ctx, "session_get", {
    description: "Get one session by id: its status, project, agent count, metadata and revision.",
    input: { id: z.string().describe("The session id (ses_…).") },
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: (args) => store.sessions.get(args.id),
  });

  defineTool(ctx, "session_end", {
    description:
      "End an active session with a final status (completed by default); no agent can join it afterwards. Returns the ended session.",
    input: {
      id: z.string().describe("The session id."),
      status: z.enum(FINAL_SESSION_STATUSES).optional().describe("completed (default), failed or cancelled."),
      ...expectedRevision,
      ...idempotencyKey,
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    run: (args) => store.sessions.end(args.id, args.status, condition(args.expectedRevision, undefined, args.idempotencyKey)),
  });

  defineTool(ctx, "agent_spawn", {
    description:
      "Register an agent (you, or a worker you start) in an active session with a role such as 'reviewer'. Returns the " +
      "agent with its id; call agent_heartbeat with that id while it works so others can see it is alive.",
    input: {
      sessionId: z.string().describe("The active session to join."),
      role: z.string().describe("What the agent does: 'planner', 'coder', 'reviewer', …"),
      id: z.string().optional().describe("An id of your choosing (default: a new agt_… id)."),
      pid: z.number().int().nullable().optional().describe("The agent's process id, if it has one."),
      status: z.enum(AGENT_STATUSES).optional().describe("spawning (default), running, idle, completed or failed."),
      metadata: optionalJson("A JSON object of anything worth keeping with the agent."),
      ...idempotencyKey,
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    run: ({ sessionId, idempotencyKey: key, ...rest }) =>
      store.agents.spawn(
        sessionId,
        { ...rest, metadata: rest.metadata as JsonObject | undefined },
        key === undefined ? undefined : { idempotencyKey: key },
      ),
  });

  defineTool(ctx, "agent_heartbeat", {
    description: "Record that an agent is alive now (a spawning agent becomes running). Call it regularly while working.",
    input: { id: z.string().describe("The agent id (agt_…)."), ...expectedRevision, ...idempotencyKey },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    run: (args) => store.agents.heartbeat(args.id, condition(args.expectedRevision, undefined, args.idempotencyKey)),
  });

  defineTool(ctx, "agent_list", {
    description: "List agents, oldest first, optionally of one session and/or one status: who else is working, and on what.",
    input: {
      sessionId: z.string().optional().describe("Only this session's agents."),
      status: z.enum(AGENT_STATUSES).optional().describe("Only agents in this status."),
      ...paging(50),
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (args) => {
      const page = await store.agents.list(args);
      return { agents: page.items, ...(page.cursor !== undefined && { cursor: page.cursor }) };
    },
  });
}
