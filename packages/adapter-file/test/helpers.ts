import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { JsonLinesChild, tempDir as kitTempDir } from "@statehouse/conformance/testing";

export const CHILD = fileURLToPath(new URL("./fixtures/child.mjs", import.meta.url));
export const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

export { TORTURE } from "@statehouse/conformance/testing";

/** A fresh private directory `statehouse-file-<prefix>-XXXXXX` from the test kit; remove it with `removeDir`. */
export function tempDir(prefix: string): string {
  return kitTempDir(`file-${prefix}`).dir;
}

export { removeDir } from "@statehouse/conformance/testing";

/** A `fixtures/child.mjs ROLE PARAMS` process, speaking the test kit's JSON-lines protocol. */
export class Child extends JsonLinesChild {
  constructor(role: string, params: Record<string, unknown> = {}) {
    super([process.execPath, CHILD, role, JSON.stringify(params)], { cwd: PACKAGE_DIR, label: role });
  }
}

/** The pid of a process that has exited (and been reaped): a dead lock holder. */
export function deadPid(): number {
  const r = spawnSync("true");
  return r.pid!;
}

/** An owner record as a dead holder of the store lock would have left it. */
export function deadOwner(): string {
  let boot = "";
  let ns = "";
  try {
    boot = readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
    ns = readlinkSync("/proc/self/ns/pid");
  } catch {
    // not Linux: liveness falls back to kill(pid, 0)
  }
  return JSON.stringify({
    pid: deadPid(),
    start: "1",
    boot,
    host: hostname(),
    ns,
    token: "deadbeefdeadbeef",
    at: new Date().toISOString(),
  });
}

export function mkdirp(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}
