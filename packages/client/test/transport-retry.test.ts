import { type Socket, createServer } from "node:net";
import { join } from "node:path";
import { open } from "@statehouse/client";
import { tempDir } from "@statehouse/conformance/testing";
import { afterEach, describe, expect, it } from "vitest";

// A kept-alive connection the server closes as idle just when a request is written to it: the
// request was never read, so the client sends it again on a fresh connection, once. A failure on a
// fresh connection is not retried (the server may have read it). A real socket server that closes
// connections exactly where the race would.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Answers `{"sequence": n}`; `drop(connection, requestOnIt)` says which requests to cut without an answer. */
async function server(drop: (connection: number, request: number) => boolean) {
  const dir = tempDir("retry");
  cleanups.push(() => dir.cleanup());
  const socket = join(dir.dir, "s.sock");
  let connections = 0;
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const srv = createServer((conn) => {
    sockets.add(conn);
    const c = ++connections;
    let requests = 0;
    let buffer = "";
    conn.on("data", (d) => {
      buffer += d.toString("latin1");
      while (buffer.includes("\r\n\r\n")) {
        buffer = buffer.slice(buffer.indexOf("\r\n\r\n") + 4);
        const r = ++requests;
        seen.push(`${c}.${r}`);
        if (drop(c, r)) {
          conn.destroy();
          return;
        }
        const body = JSON.stringify({ sequence: seen.length });
        conn.write(
          `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => srv.listen(socket, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  );
  return { socket, seen };
}

describe("the client's keep-alive connection closed under a request", () => {
  it("is retried once on a fresh connection when the reused socket was cut before any answer", async () => {
    const s = await server((c, r) => c === 1 && r === 2);
    const store = await open(`unix:${s.socket}`);
    cleanups.push(() => store.close());
    expect(await store.sequence()).toBe(1);
    expect(await store.sequence()).toBe(3);
    expect(s.seen).toEqual(["1.1", "1.2", "2.1"]);
  });

  it("is not retried when the connection was fresh: the server may have read the request", async () => {
    const s = await server((c) => c === 1);
    const store = await open(`unix:${s.socket}`);
    cleanups.push(() => store.close());
    await expect(store.sequence()).rejects.toMatchObject({ code: "E_UNAVAILABLE" });
    expect(s.seen).toEqual(["1.1"]);
  });
});
