import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { FIXTURES, call, callError, connect, tempDir } from "./helpers.js";

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("E_LOCK_TIMEOUT while another process holds the store's write lock; the same server writes once it is released", async () => {
  const file = join(dir, "state.db");
  const { client } = await connect(`sqlite:${file}`, ["--lock-timeout", "300"]);
  try {
    await call(client, "state_set", { pointer: "/a", value: 1 });
    const holder = spawn(process.execPath, [join(FIXTURES, "hold-sqlite-lock.mjs"), file], { stdio: ["pipe", "pipe", "inherit"] });
    await new Promise((resolve) => holder.stdout.once("data", resolve));
    const e = await callError(client, "state_set", { pointer: "/a", value: 2 });
    expect(e.code).toBe("E_LOCK_TIMEOUT");
    expect(e.text).toContain("retry");
    // Reads are not blocked by a writer (WAL).
    expect((await call(client, "state_get", { query: "/a" })).value).toBe(1);
    holder.stdin.end();
    await new Promise((resolve) => holder.once("close", resolve));
    expect(await call(client, "state_set", { pointer: "/a", value: 3 })).toMatchObject({ revision: 2 });
  } finally {
    await client.close();
  }
});
