import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { removeDir, tempDir } from "@statehouse/conformance/testing";
import { afterAll, describe, expect, it } from "vitest";
import { V2_PYTHON, v2PeerMissing } from "../src/scenarios/v2-peer.js";

const SCRIPT = resolve(import.meta.dirname, "../peers/v2/statehouse_v2.py");
const missing = v2PeerMissing();
if (missing !== undefined) console.warn(`v2 stand-in tests skipped: ${missing}`);

// The peer is only worth measuring if it does the work it stands for: these check that it does.
describe.skipIf(missing !== undefined)("the v2 stand-in (benchmarks/peers/v2)", () => {
  const root = tempDir("v2-peer").dir;
  afterAll(() => removeDir(root));
  const v2 = (...args: string[]) => execFileSync(V2_PYTHON, [SCRIPT, root, ...args], { encoding: "utf8" });

  it("updates under its lock and answers JSONPath queries, plain and filtered", () => {
    v2("state", "update", "build.status", '"green"');
    v2("state", "update", "tests", '[{"name":"a","status":"failed"},{"name":"b","status":"passed"}]');
    expect(JSON.parse(v2("state", "query", "$.build.status"))).toEqual(["green"]);
    expect(JSON.parse(v2("state", "query", '$.tests[?(@.status == "failed")].name'))).toEqual(["a"]);
  });

  it("creates sessions as files and lists them in a rich table", () => {
    const id = v2("session", "create", "review").trim();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(v2("session", "list")).toContain(id);
  });

  it("validates the project config with pydantic", () => {
    mkdirSync(join(root, "config"), { recursive: true });
    writeFileSync(join(root, "config", "web.json"), JSON.stringify({ name: "web", maxConcurrentAgents: 3 }));
    expect(JSON.parse(v2("config", "get", "web"))).toMatchObject({ name: "web", maxConcurrentAgents: 3, heartbeatTimeoutSeconds: 60 });
    writeFileSync(join(root, "config", "bad.json"), JSON.stringify({ name: "bad", maxConcurrentAgents: 0 }));
    expect(() => v2("config", "get", "bad")).toThrow();
  });
});
