import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { runChild, waitForLine } from "@statehouse/conformance/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, PACKAGES, PERSISTENT, type Result, at, cleanup, json, show, tempDir } from "./helpers.js";

const ok = (r: Result) => expect(r.code, show(r)).toBe(0);
const ROOT = process.getuid?.() === 0;
const SETPRIV = spawnSync("setpriv", ["--version"]).status === 0;
const UNSHARE = ROOT && spawnSync("unshare", ["--mount", "--propagation", "private", "true"]).status === 0;

/** Runs a shell script; its exit status and output. */
function sh(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("sh", ["-c", script], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Holds the store's write lock: a transaction whose function busy-waits (transactions are synchronous).
const HOLDER = `
import { writeSync } from "node:fs";
const { openAdapterUrl } = await import(process.argv[4]);
const adapter = await openAdapterUrl(process.argv[2]);
// The file and SQLite adapters rehearse an instance's first transaction outside the lock: a
// transaction without writes first, so that "locked" below is said with the lock held.
await adapter.transact((tx) => tx.get("state", "warm-up"));
await adapter.transact((tx) => {
  tx.put("state", "global", { holder: true });
  writeSync(1, "locked\\n");
  const end = Date.now() + Number(process.argv[3]);
  while (Date.now() < end) {}
});
await adapter.close();
`;

/** Why an adapter's case is skipped: stated, never silent. */
const NO_LOCK_TIMEOUT: Record<string, string> = {
  lmdb: "LMDB's writer mutex is waited for without a timeout: the lmdb adapter does not apply lockTimeoutMs to write transactions (a blocked write waits for the holder, then succeeds)",
};

describe.each(PERSISTENT)("faults on $name: typed errors, their own exit statuses, state intact", (adapter) => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    // Let an unprivileged user reach the store (the store itself stays 0700/0600).
    chmodSync(dir, 0o755);
  });
  afterAll(() => cleanup(dir));

  it.skipIf(!ROOT || !SETPRIV)("permission denied as an unprivileged user: E_PERMISSION (11), nothing changed", async () => {
    const url = adapter.url(join(dir, "perm"));
    mkdirSync(join(dir, "perm"), { mode: 0o755 });
    ok(await at(url)(["state", "set", "/a", "1"]));
    const asNobody = (args: string) =>
      sh(`setpriv --reuid=65534 --regid=65534 --clear-groups ${process.execPath} ${BIN} --store '${url}' ${args}`);
    const read = asNobody("state get");
    expect(read.status, read.stderr).toBe(11);
    expect(read.stderr).toContain("E_PERMISSION");
    const write = asNobody("--json state set /a 2");
    expect(write.status, write.stderr).toBe(11);
    expect(JSON.parse(write.stderr).error).toMatchObject({ code: "E_PERMISSION", exitStatus: 11 });
    expect(json(await at(url)(["--json", "state", "get"]))).toEqual({ document: "global", revision: 1, value: { a: 1 } });
  });

  const noTimeout = NO_LOCK_TIMEOUT[adapter.name];
  const lockTitle =
    noTimeout === undefined
      ? "another process holding the lock past --lock-timeout: E_LOCK_TIMEOUT (8), nothing written"
      : `lock timeout skipped: ${noTimeout}`;
  it.skipIf(noTimeout !== undefined)(lockTitle, async () => {
    const url = adapter.url(join(dir, "lock"));
    ok(await at(url)(["state", "set", "/a", "1"]));
    const script = join(dir, "holder.mjs");
    writeFileSync(script, HOLDER);
    const core = pathToFileURL(join(PACKAGES, "core", "dist", "spi.js")).href;
    const holder = runChild(script, [url, "2500", core]);
    const exited = holder.done.then((r) => r.code);
    try {
      await waitForLine(holder.child, "locked");
      const r = await at(url)(["--json", "--lock-timeout", "300", "state", "set", "/a", "2"]);
      expect(r.code, show(r)).toBe(8);
      expect(JSON.parse(r.stderr).error).toMatchObject({ code: "E_LOCK_TIMEOUT", exitStatus: 8 });
    } finally {
      expect(await exited).toBe(0);
    }
    // The holder's write landed; the timed-out one did not.
    expect(json(await at(url)(["--json", "state", "get"]))).toEqual({ document: "global", revision: 2, value: { holder: true } });
  });

  it.skipIf(!UNSHARE)("a full disk (a 1 MiB tmpfs): E_STORAGE_FULL (10), the prior state kept", () => {
    const mount = join(dir, "tmpfs");
    mkdirSync(mount);
    const big = join(dir, "big.json");
    writeFileSync(big, JSON.stringify({ big: "x".repeat(2 * 1024 * 1024) }));
    const url = adapter.url(mount);
    const cli = `${process.execPath} ${BIN} --store '${url}'`;
    // A private mount namespace: the tmpfs vanishes with the shell, nothing is left mounted.
    const r = sh(
      `unshare --mount --propagation private sh -c "mount -t tmpfs -o size=1m tmpfs '${mount}' && ${cli} state set /a 1 >/dev/null && ${cli} --json state merge - < '${big}'; echo status=\\$?; ${cli} --json state get"`,
    );
    expect(r.stdout, r.stderr).toContain("status=10");
    expect(JSON.parse(r.stderr.trim().split("\n").at(-1)!).error).toMatchObject({ code: "E_STORAGE_FULL", exitStatus: 10 });
    const after = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(after).toEqual({ document: "global", revision: 1, value: { a: 1 } });
  });
});

if (!ROOT || !SETPRIV || !UNSHARE) {
  describe("faults", () => {
    it.skip(`skipped in part: ${!ROOT ? "not root (mounting a tmpfs and dropping to nobody need root)" : !SETPRIV ? "setpriv is missing" : "unshare --mount is not permitted here"}`, () =>
      undefined);
  });
}
