/**
 * The thin client: what `statehouse` runs first. When a daemon serves the store, it sends the
 * command line to the daemon (`POST /v1/cli`), which runs it against its open store and sends back
 * the output and exit status, so that a hook pays for starting Node and this one small module,
 * not for loading the CLI, core and an adapter (as eslint_d or Nailgun do for their tools).
 * Anything else — no daemon, another version, `--no-daemon`, a command that needs stdin or a
 * file — resolves to undefined before anything ran, and the full CLI takes over.
 *
 * Only node built-ins and the two small locating modules are bundled into this file (tsup.config.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { daemonPaths, readDiscovery } from "@statehouse/server/locate";
import { locateStore } from "./store-location.js";

/** This CLI's version, from its package.json (next to dist/, where this file is built to). */
function ownVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
}

/** The client's variables the command's output depends on; nothing else of its environment is sent. */
const ENV_SENT = ["STATEHOUSE_STORE", "NO_COLOR", "FORCE_COLOR", "TERM", "STATEHOUSE_DEBUG"] as const;

/** How long connecting may take before the full CLI takes over (the daemon may be stuck or gone). */
const CONNECT_TIMEOUT_MS = 1000;

/**
 * How long an answer may take once the command was sent: a stopped (SIGSTOP) or wedged daemon must
 * not hang a hook forever. Far above any command's own bound (a lock wait is 10 s by default).
 */
const ANSWER_TIMEOUT_MS = 120_000;

/** E_UNAVAILABLE's exit status (exit-codes.ts): the daemon went away after it was sent the command. */
const EXIT_UNAVAILABLE = 15;

type Reply = { status: number; stdout: string; stderr: string } | { fallback: string };

/** The global `--store` option's value, as the full parser would read it. */
function storeFlag(argv: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") break;
    if (a === "--store") value = argv[++i];
    else if (a.startsWith("--store=")) value = a.slice("--store=".length);
  }
  return value;
}

/** The exit status of the command run by the daemon, or undefined when the full CLI must run it. */
export async function runThin(argv: readonly string[]): Promise<number | undefined> {
  if (argv.length === 0 || argv.includes("--no-daemon") || argv.includes("--help") || argv.includes("-h")) return undefined;
  let socket: string;
  let version: string;
  let url: string;
  try {
    ({ url } = locateStore(storeFlag(argv), process.env.STATEHOUSE_STORE, process.cwd()));
    if (url.startsWith("memory:")) return undefined;
    const record = readDiscovery(daemonPaths(url).discovery);
    if (record === undefined || record.version !== (version = ownVersion())) return undefined;
    socket = record.socket;
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const name of ENV_SENT) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  const body = JSON.stringify({
    argv,
    cwd: process.cwd(),
    env,
    stdoutTty: process.stdout.isTTY === true,
    stderrTty: process.stderr.isTTY === true,
    version,
  });
  const reply = await send(socket, body);
  if (reply === undefined) return undefined;
  if ("fallback" in reply) {
    // The daemon answered, runs this version and serves this store: the full CLI (forward.ts) uses
    // it without reading the discovery file and probing the daemon again.
    if (!reply.fallback.startsWith("the daemon runs version") && reply.fallback !== "another store") {
      (globalThis as Record<symbol, unknown>)[Symbol.for("statehouse.cli.daemon-hint")] = { url, socket };
    }
    return undefined;
  }
  if ("unavailable" in reply) {
    process.stderr.write(`statehouse: E_UNAVAILABLE: ${reply.unavailable}\n`);
    return EXIT_UNAVAILABLE;
  }
  process.stdout.write(reply.stdout);
  process.stderr.write(reply.stderr);
  return reply.status;
}

/**
 * One request, written by hand on a plain socket: node:http would cost a hook more to load than
 * the whole exchange takes. Undefined when the daemon could not be reached or did not accept the
 * request (the command did not run); `unavailable` when it went away after the command was sent:
 * the command may have run, so it is not run again.
 */
function send(socket: string, body: string): Promise<Reply | { unavailable: string } | undefined> {
  return new Promise((resolve) => {
    let sent = false;
    const chunks: Buffer[] = [];
    // Required here, not at the top: without a daemon (the direct path) node:net and the streams
    // under it are never loaded. A CommonJS require (this file is built to CommonJS) stays synchronous.
    const { connect } = require("node:net") as typeof import("node:net");
    const conn = connect({ path: socket });
    const timer = setTimeout(() => conn.destroy(), CONNECT_TIMEOUT_MS);
    conn.once("connect", () => {
      sent = true;
      clearTimeout(timer);
      conn.setTimeout(ANSWER_TIMEOUT_MS, () => conn.destroy());
      const head = `POST /v1/cli HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
      // Not end(): a half-closed connection makes Node's HTTP server abort the request in flight.
      // `Connection: close` has the daemon close it once it has answered.
      conn.write(head + body);
    });
    conn.on("data", (c: Buffer) => chunks.push(c));
    conn.once("error", () => undefined);
    conn.once("close", () => {
      clearTimeout(timer);
      if (!sent) return resolve(undefined);
      resolve(parseResponse(Buffer.concat(chunks)));
    });
  });
}

/** The daemon's answer: its JSON body when 200; undefined when refused before running (4xx, 503). */
function parseResponse(raw: Buffer): Reply | { unavailable: string } | undefined {
  const cut = "the daemon closed the connection before it answered; the command may have run";
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return { unavailable: cut };
  const head = raw.subarray(0, end).toString("latin1");
  const code = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  // 4xx and 503: the daemon refused or is stopping, nothing ran. Another 5xx: it may have.
  if (code >= 500 && code !== 503) return { unavailable: `the daemon failed (HTTP ${code}); the command may have run` };
  if (code !== 200) return undefined;
  let body = raw.subarray(end + 4);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) body = unchunk(body);
  else {
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? Number.NaN);
    if (body.length !== length) return { unavailable: cut };
  }
  try {
    return JSON.parse(body.toString("utf8")) as Reply;
  } catch {
    return { unavailable: "the daemon's answer was unreadable; the command may have run" };
  }
}

/** A chunked body's data (RFC 9112 §7.1); what is cut short stays short, and then fails to parse. */
function unchunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", at);
    if (eol < 0) break;
    const size = Number.parseInt(body.subarray(at, eol).toString("latin1"), 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
