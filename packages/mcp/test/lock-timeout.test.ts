import { join } from "node:path";
import { JsonLinesChild, removeDir, waitForLine } from "@statehouse/conformance/testing";
import { afterAll, expect, it } from "vitest";
import { FIXTURES, call, callError, connect, tempDir } from "./helpers.js";

const dir = tempDir();
afterAll(() => removeDir(dir));

it("E_LOCK_TIMEOUT while another process holds the store's write lock; the same server writes once it is released", async () => {
  const file = join(dir, "state.db");
  const { client } = await connect(`sqlite:${file}`, ["--lock-timeout", "300"]);
  try {
    await call(client, "state_set", { pointer: "/a", value: 1 });
    // The kit's long-lived child: stdin stays open (the holder lets go when it ends).
    const holder = new JsonLinesChild([process.execPath, join(FIXTURES, "hold-sqlite-lock.mjs"), file]);
    await waitForLine(holder.proc, "locked");
    const e = await callError(client, "state_set", { pointer: "/a", value: 2 });
    expect(e.code).toBe("E_LOCK_TIMEOUT");
    expect(e.text).toContain("retry");
    // Reads are not blocked by a writer (WAL).
    expect((await call(client, "state_get", { query: "/a" })).value).toBe(1);
    holder.proc.stdin!.end();
    await holder.exit;
    expect(await call(client, "state_set", { pointer: "/a", value: 3 })).toMatchObject({ revision: 2 });
  } finally {
    await client.close();
  }
});
