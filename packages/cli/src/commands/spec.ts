import type { CommandContext } from "../context.js";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** Shown in help: `--doc NAME`. */
  readonly arg?: string;
  readonly help: string;
}

export type Handler = (ctx: CommandContext) => Promise<number | undefined>;

/** One command: what it accepts, how it is described, and how to load its code (only when run). */
export interface CommandSpec {
  /** Words after `statehouse`, e.g. `state get`. */
  readonly name: string;
  /** Positional arguments in order; a trailing `?` marks an optional one. */
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly summary: string;
  /** Extra lines of help (argument meanings, output shapes). */
  readonly details?: readonly string[];
  readonly examples: readonly string[];
  /** Loads the handler: a dynamic import, so a command never loads another command's code. */
  readonly load: () => Promise<Handler>;
  /** Whether the command can run without a store (then `--store` is ignored). */
  readonly noStore?: boolean;
}

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  store: { type: "string", arg: "URL", help: "store URL: file:DIR, sqlite:FILE, lmdb:DIR or memory: (default $STATEHOUSE_STORE, else file:./.statehouse)" },
  json: { type: "boolean", help: "print one JSON document (stable shapes, see the README); errors as JSON on stderr" },
  plain: { type: "boolean", help: "print one value per line, for shells" },
  durability: { type: "string", arg: "MODE", help: "strict (default: a write survives power loss) or relaxed (survives a crash of any process; faster)" },
  "lock-timeout": { type: "string", arg: "MS", help: "how long a write waits for another process's lock before E_LOCK_TIMEOUT (default 10000)" },
  "no-daemon": { type: "boolean", help: "open the store directly even when a daemon (statehouse serve) serves it" },
  help: { type: "boolean", short: "h", help: "show help" },
  version: { type: "boolean", short: "V", help: "print the version" },
};

const target = {
  doc: { type: "string", arg: "NAME", help: "the state document (default global)" },
  session: { type: "string", arg: "ID", help: "the session's own state document instead" },
} as const satisfies Record<string, OptionSpec>;
const ifRevision = {
  "if-revision": { type: "string", arg: "N", help: "write only if the record's revision is N (0: only if absent); else E_CONFLICT" },
} as const satisfies Record<string, OptionSpec>;
const paging = {
  limit: { type: "string", arg: "N", help: "at most N items (default 50)" },
  cursor: { type: "string", arg: "CURSOR", help: "continue after a previous page (its cursor is printed with --json)" },
  all: { type: "boolean", help: "every item, page after page" },
} as const satisfies Record<string, OptionSpec>;

const state = (name: string) => () => import("./state.js").then((m) => m[name as keyof typeof m] as Handler);
const session = (name: string) => () => import("./session.js").then((m) => m[name as keyof typeof m] as Handler);
const agent = (name: string) => () => import("./agent.js").then((m) => m[name as keyof typeof m] as Handler);
const config = (name: string) => () => import("./config.js").then((m) => m[name as keyof typeof m] as Handler);
const tools = (name: string) => () => import("./tools.js").then((m) => m[name as keyof typeof m] as Handler);

const daemon = (name: string) => () => import("./daemon.js").then((m) => m[name as keyof typeof m] as Handler);

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "state get",
    args: ["QUERY?"],
    options: { ...target, default: { type: "string", arg: "JSON", help: "print this value instead of failing when nothing is there" } },
    summary: "Read a state document, a JSON Pointer (/…) or a JSONPath ($…) in it.",
    details: [
      "No QUERY: the whole document. /a/b: the value there (E_NOT_FOUND, exit 3, if absent).",
      "$…: the values of every match, as an array (empty when nothing matches).",
    ],
    examples: ["statehouse state get /toolCalls --session \"$SESSION_ID\"", "statehouse state get '$.tasks[?@.done == false].title' --plain"],
    load: state("get"),
  },
  {
    name: "state set",
    args: ["POINTER", "VALUE"],
    options: { ...target, ...ifRevision },
    summary: "Set the value at a JSON Pointer (missing parent objects are created). VALUE is JSON.",
    examples: ["statehouse state set /phase '\"review\"'", "statehouse state set /limits '{\"tokens\": 50000}' --doc project"],
    load: state("set"),
  },
  {
    name: "state merge",
    args: ["PATCH"],
    options: { ...target, ...ifRevision },
    summary: "Apply a JSON Merge Patch (RFC 7396) to the document. PATCH is JSON, or - for stdin.",
    examples: ["statehouse state merge '{\"phase\": \"done\", \"draft\": null}'"],
    load: state("merge"),
  },
  {
    name: "state patch",
    args: ["OPERATIONS"],
    options: { ...target, ...ifRevision },
    summary: "Apply a JSON Patch (RFC 6902): all operations or none. OPERATIONS is JSON, or - for stdin.",
    examples: ["statehouse state patch '[{\"op\": \"add\", \"path\": \"/tags/-\", \"value\": \"x\"}]'"],
    load: state("patch"),
  },
  {
    name: "state del",
    args: ["POINTER"],
    options: { ...target, ...ifRevision },
    summary: "Delete the value at a JSON Pointer (E_NOT_FOUND if nothing is there).",
    examples: ["statehouse state del /draft"],
    load: state("del"),
  },
  {
    name: "state incr",
    args: ["POINTER", "BY?"],
    options: { ...target, ...ifRevision },
    summary: "Atomically add BY (default 1) to the number at POINTER (missing counts as 0); prints the new value.",
    examples: ["statehouse state incr /toolCalls --session \"$SESSION_ID\"", "statehouse state incr /budget -250"],
    load: state("incr"),
  },
  {
    name: "session create",
    args: [],
    options: {
      name: { type: "string", arg: "NAME", help: "a display name (default: the id)" },
      project: { type: "string", arg: "PROJECT", help: "the project it belongs to" },
      id: { type: "string", arg: "ID", help: "the id (default: a new time-ordered ses_… id)" },
      metadata: { type: "string", arg: "JSON", help: "a JSON object of metadata" },
    },
    summary: "Create an active session; prints it (--plain: just its id).",
    examples: ["SESSION_ID=$(statehouse --plain session create --name 'fix login bug' --project web)"],
    load: session("create"),
  },
  {
    name: "session list",
    args: [],
    options: {
      status: { type: "string", arg: "STATUS", help: "active, completed, failed or cancelled" },
      project: { type: "string", arg: "PROJECT", help: "only this project's sessions" },
      "order-by": { type: "string", arg: "FIELD", help: "createdAt (default) or updatedAt" },
      asc: { type: "boolean", help: "oldest first (default newest first)" },
      ...paging,
    },
    summary: "List sessions, newest first.",
    examples: ["statehouse session list --status active", "statehouse --plain session list --all"],
    load: session("list"),
  },
  {
    name: "session show",
    args: ["ID"],
    options: {},
    summary: "Show one session.",
    examples: ["statehouse session show \"$SESSION_ID\""],
    load: session("show"),
  },
  {
    name: "session end",
    args: ["ID"],
    options: { status: { type: "string", arg: "STATUS", help: "completed (default), failed or cancelled" }, ...ifRevision },
    summary: "End an active session with a final status.",
    examples: ["statehouse session end \"$SESSION_ID\" --status failed"],
    load: session("end"),
  },
  {
    name: "session rm",
    args: ["ID"],
    options: { ...ifRevision },
    summary: "Delete a session with its state document and its agents.",
    examples: ["statehouse session rm ses_0123456789abc"],
    load: session("rm"),
  },
  {
    name: "agent spawn",
    args: ["SESSION_ID", "ROLE"],
    options: {
      id: { type: "string", arg: "ID", help: "the id (default: a new time-ordered agt_… id)" },
      pid: { type: "string", arg: "PID", help: "the agent's process id" },
      status: { type: "string", arg: "STATUS", help: "spawning (default), running, idle, completed or failed" },
      metadata: { type: "string", arg: "JSON", help: "a JSON object of metadata" },
    },
    summary: "Spawn an agent into an active session; prints it (--plain: just its id).",
    examples: ["AGENT_ID=$(statehouse --plain agent spawn \"$SESSION_ID\" reviewer --pid $$)"],
    load: agent("spawn"),
  },
  {
    name: "agent list",
    args: [],
    options: {
      session: { type: "string", arg: "ID", help: "only this session's agents" },
      status: { type: "string", arg: "STATUS", help: "spawning, running, idle, completed or failed" },
      desc: { type: "boolean", help: "newest first (default oldest first)" },
      ...paging,
    },
    summary: "List agents, oldest first.",
    examples: ["statehouse agent list --session \"$SESSION_ID\" --status running"],
    load: agent("list"),
  },
  {
    name: "agent show",
    args: ["ID"],
    options: {},
    summary: "Show one agent.",
    examples: ["statehouse agent show \"$AGENT_ID\""],
    load: agent("show"),
  },
  {
    name: "agent update",
    args: ["ID"],
    options: {
      status: { type: "string", arg: "STATUS", help: "spawning, running, idle, completed or failed" },
      role: { type: "string", arg: "ROLE", help: "a new role" },
      pid: { type: "string", arg: "PID", help: "a process id, or null" },
      metadata: { type: "string", arg: "JSON", help: "a JSON object merged into the metadata (RFC 7396)" },
      ...ifRevision,
    },
    summary: "Change an agent's status, role, pid or metadata.",
    examples: ["statehouse agent update \"$AGENT_ID\" --status completed"],
    load: agent("update"),
  },
  {
    name: "agent heartbeat",
    args: ["ID"],
    options: { ...ifRevision },
    summary: "Record that the agent is alive now (a spawning agent becomes running).",
    examples: ["statehouse agent heartbeat \"$AGENT_ID\""],
    load: agent("heartbeat"),
  },
  {
    name: "config get",
    args: ["PROJECT"],
    options: {},
    summary: "Print a project's config (E_NOT_FOUND, exit 3, if it has none).",
    examples: ["statehouse config get web", "statehouse --plain config get web | jq .maxConcurrentAgents"],
    load: config("get"),
  },
  {
    name: "config set",
    args: ["PROJECT", "CONFIG"],
    options: { ...ifRevision },
    summary: "Replace a project's config after validating it (E_CONFIG, exit 13, if invalid). CONFIG is JSON, or - for stdin.",
    examples: ["statehouse config set web '{\"maxConcurrentAgents\": 4}'", "statehouse config set web - < web.config.json"],
    load: config("set"),
  },
  {
    name: "config validate",
    args: ["PROJECT", "CONFIG?"],
    options: {},
    summary: "Validate a config (JSON, or - for stdin) without storing it; without CONFIG, the stored one. Exit 13 if invalid.",
    examples: ["statehouse config validate web - < web.config.json", "statehouse config validate web"],
    load: config("validate"),
  },
  {
    name: "tools register",
    args: ["NAME_OR_DESCRIPTOR"],
    options: {
      description: { type: "string", arg: "TEXT", help: "what the tool does" },
      command: { type: "string", arg: "CMD", help: "how to run it" },
      "input-schema": { type: "string", arg: "JSON", help: "a JSON Schema of its input" },
      metadata: { type: "string", arg: "JSON", help: "a JSON object of metadata" },
      ...ifRevision,
    },
    summary: "Register (or replace) a tool: a name with options, or a whole descriptor as JSON ({\"name\": …}, or - for stdin).",
    examples: [
      "statehouse tools register lint --command 'pnpm lint' --description 'Run the linter'",
      "statehouse tools register '{\"name\": \"search\", \"inputSchema\": {\"type\": \"object\"}}'",
    ],
    load: tools("register"),
  },
  {
    name: "tools list",
    args: [],
    options: { ...paging },
    summary: "List registered tools by name.",
    examples: ["statehouse tools list", "statehouse --plain tools list --all"],
    load: tools("list"),
  },
  {
    name: "tools show",
    args: ["NAME"],
    options: {},
    summary: "Show one tool's descriptor.",
    examples: ["statehouse tools show lint"],
    load: tools("show"),
  },
  {
    name: "tools rm",
    args: ["NAME"],
    options: { ...ifRevision },
    summary: "Unregister a tool (E_NOT_FOUND if it is not registered).",
    examples: ["statehouse tools rm lint"],
    load: tools("rm"),
  },
  {
    name: "batch",
    args: ["FILE?"],
    options: {},
    summary: "Apply a JSON array of operations (from FILE, or stdin) atomically: all commit, or none.",
    details: [
      "Operations: state.set, state.delete, state.merge, state.patch, state.increment, state.replace, state.remove,",
      "session.create, session.update, session.end, session.delete, agent.spawn, agent.update, agent.heartbeat,",
      "config.set, config.delete, tools.register, tools.unregister (fields as in the README).",
    ],
    examples: ["echo '[{\"op\":\"state.increment\",\"pointer\":\"/runs\"},{\"op\":\"state.set\",\"pointer\":\"/last\",\"value\":\"ok\"}]' | statehouse batch"],
    load: () => import("./batch.js").then((m) => m.batch),
  },
  {
    name: "doctor",
    args: [],
    options: {
      repair: { type: "boolean", help: "repair what can be repaired (e.g. restore from the last good copy)" },
      compact: { type: "boolean", help: "then, if the store is sound, reclaim the space of deleted data (needs exclusive access)" },
    },
    summary: "Check the store's integrity (exit 9, E_CORRUPT, if problems remain); optionally compact it.",
    examples: ["statehouse doctor", "statehouse doctor --repair", "statehouse --store lmdb:.statehouse doctor --compact"],
    load: () => import("./doctor.js").then((m) => m.doctor),
  },
  {
    name: "export",
    args: [],
    options: { output: { type: "string", short: "o", arg: "FILE", help: "write to FILE (created 0600) instead of stdout" } },
    summary: "Export every record of every collection, with its revision, as JSON Lines.",
    examples: ["statehouse export > backup.jsonl", "statehouse --store sqlite:state.db export -o backup.jsonl"],
    load: () => import("./export.js").then((m) => m.exportCommand),
  },
  {
    name: "import",
    args: ["FILE?"],
    options: {},
    summary: "Import an export (from FILE, or stdin) into an empty store, revisions kept; verified against the export's checksum.",
    examples: ["statehouse --store sqlite:state.db import backup.jsonl"],
    load: () => import("./import.js").then((m) => m.importCommand),
  },
  {
    name: "migrate",
    args: [],
    options: { to: { type: "string", arg: "URL", help: "the target store (must be empty)" } },
    summary: "Copy the whole store to another store URL (any adapter), then verify counts and checksums.",
    examples: ["statehouse --store file:.statehouse migrate --to sqlite:.statehouse.db"],
    load: () => import("./migrate.js").then((m) => m.migrate),
  },
  {
    name: "dashboard",
    args: [],
    options: {
      once: { type: "boolean", help: "print one frame and exit (no terminal needed; with --json: the data)" },
      interval: { type: "string", arg: "MS", help: "how often to poll the store for changes (default 150)" },
    },
    summary: "A live view of the store: sessions by status, active agents, recent changes, KPIs. q quits.",
    examples: ["statehouse dashboard", "statehouse --json dashboard --once"],
    load: () => import("../dashboard/command.js").then((m) => m.dashboard),
  },
  // The daemon: `serve` and `daemon status|stop|path`.
  {
    name: "serve",
    args: [],
    options: {
      listen: { type: "string", arg: "ADDR", help: "also listen on loopback TCP, 127.0.0.1:PORT (bearer token required; see --token-file)" },
      "token-file": { type: "string", arg: "FILE", help: "the TCP bearer token's file, created 0600 if absent (default: next to the socket)" },
      "idle-exit": { type: "string", arg: "DURATION", help: "exit after this long without requests (30s, 10m, 1h; default never)" },
      detach: { type: "boolean", help: "run in the background; return once the daemon answers" },
      log: { type: "string", arg: "FILE", help: "the log file, JSON lines, 0600 (default: next to the socket)" },
      "log-level": { type: "string", arg: "LEVEL", help: "debug (one line per request), info (default: conflicts, start, stop), warn or error" },
    },
    summary: "Serve the store over HTTP on a unix socket: other statehouse commands, the client and curl go through it.",
    details: [
      "One daemon per store: a second serve for the same store exits with E_CONFLICT (4), \"already running\".",
      "The socket is 0600 in a 0700 directory: $XDG_RUNTIME_DIR/statehouse, else $TMPDIR/statehouse-UID;",
      "STATEHOUSE_SOCKET overrides its path. SIGTERM or SIGINT: finish requests in flight, close the store, exit 0.",
    ],
    examples: ["statehouse serve --detach --idle-exit 30m", "statehouse --store sqlite:state.db serve --listen 127.0.0.1:7700"],
    load: () => import("./serve.js").then((m) => m.serve),
  },
  {
    name: "daemon status",
    args: [],
    options: {},
    summary: "Show the daemon serving the store (pid, version, socket), checked against its health; exit 15 if none answers.",
    examples: ["statehouse daemon status", "statehouse --json daemon status"],
    load: daemon("status"),
  },
  {
    name: "daemon stop",
    args: [],
    options: { timeout: { type: "string", arg: "S", help: "seconds to wait for it to exit (default 30)" } },
    summary: "Stop the daemon serving the store (SIGTERM: it drains requests in flight) and wait until it has exited.",
    examples: ["statehouse daemon stop"],
    load: daemon("stop"),
  },
  {
    name: "daemon path",
    args: [],
    options: {},
    summary: "Print the store's daemon socket path (for curl --unix-socket in hooks), whether or not a daemon runs.",
    examples: ["curl -s --unix-socket \"$(statehouse daemon path)\" http://localhost/v1/state/global"],
    load: daemon("path"),
  },
];

/** The command groups, for `statehouse GROUP --help` and suggestions. */
export function groups(): string[] {
  return [...new Set(COMMANDS.map((c) => c.name.split(" ")[0]!))];
}
