import { rmSync } from "node:fs";
import { type Server, type Socket, createConnection, createServer } from "node:net";
import { join } from "node:path";

/** Where a {@link CommitCuttingProxy} cuts the connection that carries the next commit. */
export type CutPoint =
  /** Before the commit reaches the server: it never runs. */
  | "before-commit"
  /** After the server committed, before the client hears so: the reply (up to ReadyForQuery) is dropped. */
  | "after-commit";

// The commit as node-postgres sends it: the named prepared statement (Parse, then Bind by name) on
// the optimistic path, or its text inside a simple query on the counter-locked path.
const COMMIT_IN_MESSAGE = /statehouse_commit\(|sh_[A-Za-z0-9_]*_commit\0/;

/**
 * A real unix-socket proxy in front of a real PostgreSQL server, for the one fault a crash loop
 * only hits by chance: a connection lost exactly around a commit. Armed with a cut point, it
 * watches the client's messages for the next `statehouse_commit`, and either drops that message
 * and closes the connection ("before-commit"), or forwards it, withholds the server's answer
 * until the ReadyForQuery that ends it (sent after the implicit or explicit COMMIT finished) and
 * then closes the connection ("after-commit"). Everything else is passed through untouched.
 */
export class CommitCuttingProxy {
  /** How many connections were cut: a test asserts the fault really happened. */
  cuts = 0;
  private armed: CutPoint | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    /** The proxy's socket directory: the `host` of a connection through it. */
    readonly socketDir: string,
  ) {}

  /** Listens in `dir` on the socket file of `port`, forwarding to the server's in `targetDir`. */
  static async start(dir: string, targetDir: string, port: number): Promise<CommitCuttingProxy> {
    const name = `.s.PGSQL.${port}`;
    rmSync(join(dir, name), { force: true });
    let proxy: CommitCuttingProxy | undefined;
    const server = createServer((client) => proxy!.pipe(client, join(targetDir, name)));
    proxy = new CommitCuttingProxy(server, dir);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(join(dir, name), resolve);
    });
    return proxy;
  }

  /** Cuts the next connection that sends a commit, at `point`; once. */
  arm(point: CutPoint): void {
    this.armed = point;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: Socket, target: string): void {
    const upstream = createConnection(target);
    this.sockets.add(client).add(upstream);
    const cut = (): void => {
      this.cuts++;
      client.destroy();
      upstream.destroy();
    };
    // After a commit went through in "after-commit" mode: the server's bytes are held back,
    // framed as messages (type byte, 4-byte length that counts itself), until ReadyForQuery.
    let withholding = false;
    let pending = Buffer.alloc(0);
    client.on("data", (chunk: Buffer) => {
      if (this.armed !== undefined && COMMIT_IN_MESSAGE.test(chunk.toString("latin1"))) {
        const point = this.armed;
        this.armed = undefined;
        if (point === "before-commit") return cut();
        withholding = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!withholding) {
        client.write(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      // The answer's messages start at a message boundary: the client sent the commit only after
      // the previous answer's ReadyForQuery, and nothing is sent unasked on a query connection.
      let at = 0;
      while (at + 5 <= pending.length) {
        const type = String.fromCharCode(pending[at]!);
        const length = pending.readUInt32BE(at + 1);
        if (at + 1 + length > pending.length) break;
        if (type === "Z") return cut();
        at += 1 + length;
      }
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  }
}
