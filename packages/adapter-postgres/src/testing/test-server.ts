import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A throwaway PostgreSQL server for tests and benchmarks: a cluster in a temporary directory,
 * listening only on a unix socket in that directory (no TCP), stopped and removed by `stop()`.
 * Nothing here is used by the adapter itself.
 */
export interface TestServer {
  /** The directory holding the cluster (`data/`), the socket and the log. */
  readonly dir: string;
  /** The socket directory (the `host` of a connection). */
  readonly socketDir: string;
  readonly port: number;
  readonly binDir: string;
  /** `postgres:///<database>?host=<socketDir>&port=<port>&user=postgres` */
  url(database?: string, params?: Record<string, string>): string;
  /** Stops the server the hard way (`pg_ctl stop -m immediate`): what a crash looks like to clients. */
  crash(): void;
  /** Stops the server cleanly (`-m fast`). */
  stopServer(): void;
  /** Starts it again on the same directory and socket, waiting until it accepts connections. */
  startServer(): void;
  /** Stops the server and removes its directory. */
  stop(): void;
}

export interface TestServerOptions {
  /**
   * Extra `postgres -c name=value` settings. Defaults keep fsync on, so that durability is real:
   * a test that crashes the server sees what a user would.
   */
  settings?: Record<string, string>;
}

/** Where PostgreSQL's server binaries live: `pg_config --bindir`, then `/usr/lib/postgresql/<newest>/bin`. */
export function findPostgresBinDir(): { binDir?: string; reason?: string } {
  const fromEnv = process.env.STATEHOUSE_PG_BINDIR;
  if (fromEnv !== undefined && fromEnv !== "") {
    return existsSync(join(fromEnv, "initdb")) ? { binDir: fromEnv } : { reason: `STATEHOUSE_PG_BINDIR=${fromEnv} holds no initdb` };
  }
  const r = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (r.status === 0) {
    const dir = r.stdout.trim();
    if (existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"))) return { binDir: dir };
  }
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return { binDir: join(root, versions[0]!, "bin") };
  }
  return { reason: "no PostgreSQL server binaries found (pg_config --bindir, /usr/lib/postgresql/*/bin): install the postgresql package" };
}

function userIds(name: string): { uid: number; gid: number } | undefined {
  const u = spawnSync("id", ["-u", name], { encoding: "utf8" });
  const g = spawnSync("id", ["-g", name], { encoding: "utf8" });
  if (u.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Starts a server; throws with the reason when none can be started (callers skip on that). */
export function startTestServer(options: TestServerOptions = {}): TestServer {
  const found = findPostgresBinDir();
  if (found.binDir === undefined) throw new Error(found.reason);
  const binDir = found.binDir;
  const dir = mkdtempSync(join(tmpdir(), "statehouse-pg-"));
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  // initdb and postgres refuse to run as root: run them as the `postgres` user (or nobody).
  let wrap: string[] = [];
  if (process.getuid?.() === 0) {
    const ids = userIds("postgres") ?? { uid: 65534, gid: 65534 };
    chownSync(dir, ids.uid, ids.gid);
    wrap = ["setpriv", `--reuid=${ids.uid}`, `--regid=${ids.gid}`, "--clear-groups"];
  }
  const run = (cmd: string, args: string[]): SpawnSyncReturns<string> => {
    const argv = [...wrap, join(binDir, cmd), ...args];
    return spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", cwd: dir, timeout: 120_000 });
  };
  const must = (cmd: string, args: string[]): void => {
    const r = run(cmd, args);
    if (r.status !== 0) {
      const logText = existsSync(log) ? readFileSync(log, "utf8").slice(-2000) : "";
      throw new Error(`${cmd} failed (${r.status ?? r.error?.message}): ${(r.stderr || r.stdout).trim()}\n${logText}`);
    }
  };
  try {
    must("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // The port only names the socket file (no TCP), so a random one cannot collide across servers.
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const settings: Record<string, string> = {
    listen_addresses: "''",
    unix_socket_directories: `'${dir}'`,
    port: String(port),
    max_connections: "300",
    shared_buffers: "64MB",
    ...options.settings,
  };
  const serverArgs = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(" ");
  const startServer = (): void => must("pg_ctl", ["-D", data, "-l", log, "-o", serverArgs, "-w", "-t", "60", "start"]);
  const stopServer = (mode: string): void => {
    run("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"]);
  };
  try {
    startServer();
    must("pg_isready", ["-h", dir, "-p", String(port), "-t", "30"]);
  } catch (err) {
    stopServer("immediate");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let stopped = false;
  return {
    dir,
    socketDir: dir,
    port,
    binDir,
    url(database = "postgres", params = {}) {
      const q = new URLSearchParams({ host: dir, port: String(port), user: "postgres", ...params });
      return `postgres:///${database}?${q.toString()}`;
    },
    crash: () => stopServer("immediate"),
    stopServer: () => stopServer("fast"),
    startServer,
    stop() {
      if (stopped) return;
      stopped = true;
      stopServer("immediate");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
