import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fromSamples } from "../measure.js";
import { timeProcess } from "../process-timing.js";
import { type Scenario, failedResult, okResult, resultKey } from "../scenario.js";
import type { BenchResult } from "../types.js";

/**
 * The system statehouse replaces, measured in the same run: a Python stand-in for the v2
 * scripts (benchmarks/peers/v2/statehouse_v2.py, written from the seed report's description:
 * JSON files under one directory, a file lock per write, JSONPath, pydantic, rich), timed as a
 * whole process exactly as the CLI is. The Debian interpreter is used because the libraries
 * are Debian packages (`.ci/run` installs them); where they are missing the rows are skipped.
 */
export const V2_PYTHON = "/usr/bin/python3";
const MODULES = ["filelock", "jsonpath_rw_ext", "pydantic", "rich"];

/** The v2 operation each CLI row is compared with (same work: a hook's one call). */
export const V2_PEER_OF: Readonly<Record<string, string>> = {
  "cli-state-get": "v2-state-query",
  "cli-state-set": "v2-state-update",
  "cli-session-create": "v2-session-create",
  "cli-session-list": "v2-session-list",
  "cli-config-get": "v2-config-get",
};

export const PYTHON_FLOOR_KEY = resultKey("v2", undefined, "python-floor", {});

const COMMANDS = [
  { op: "v2-state-query", args: ["state", "query", "$.probe"] },
  { op: "v2-state-update", args: ["state", "update", "probe", "2"] },
  { op: "v2-session-create", args: ["session", "create", "bench"] },
  { op: "v2-session-list", args: ["session", "list"] },
  { op: "v2-config-get", args: ["config", "get", "web"] },
] as const;

function peerScript(): string {
  // dist/scenarios/… or src/scenarios/… → benchmarks/peers/v2/
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ["../peers/v2", "../../peers/v2"]) {
    const p = resolve(here, up, "statehouse_v2.py");
    if (existsSync(p)) return p;
  }
  return resolve(here, "../../peers/v2/statehouse_v2.py");
}

/** Why the peer cannot run here, or undefined when it can. */
export function v2PeerMissing(): string | undefined {
  if (!existsSync(V2_PYTHON)) return `${V2_PYTHON} is not installed`;
  const probe = spawnSync(V2_PYTHON, ["-c", `import ${MODULES.join(", ")}`], { encoding: "utf8" });
  if (probe.status !== 0)
    return `the v2 stand-in needs the Debian packages python3-filelock python3-jsonpath-rw-ext python3-pydantic python3-rich (${probe.stderr.trim().split("\n").pop()})`;
  if (!existsSync(peerScript())) return `${peerScript()} is missing`;
  return undefined;
}

export const v2PeerScenario: Scenario = {
  name: "v2-peer",
  group: "cli",
  title: "The v2 system (Python stand-in), whole process",
  perAdapter: false,
  writes: false,
  ops: () => ["python-floor", ...COMMANDS.map((c) => c.op)],
  async run(ctx): Promise<BenchResult[]> {
    const job = { ...ctx.job, adapter: "v2" };
    const ops = ["python-floor", ...COMMANDS.map((c) => c.op)];
    const missing = v2PeerMissing();
    if (missing !== undefined) return ops.map((op) => failedResult(job, op, missing, "skipped"));
    const script = peerScript();
    const root = join(ctx.dir, "v2-state");
    mkdirSync(join(root, "config"), { recursive: true, mode: 0o700 });
    // The same 1 KB-class state the CLI rows read, a project config, and a few sessions.
    writeFileSync(join(root, "state.json"), JSON.stringify({ probe: 1, build: { status: "green", attempts: 3 }, tags: ["ci"] }));
    writeFileSync(join(root, "config", "web.json"), JSON.stringify({ name: "web", maxConcurrentAgents: 4 }));
    const runs = ctx.job.settings.processRuns;
    const out: BenchResult[] = [];
    const floor: number[] = [];
    timeProcess(V2_PYTHON, ["-c", "pass"]);
    for (let i = 0; i < runs; i++) floor.push(timeProcess(V2_PYTHON, ["-c", "pass"]).ms);
    out.push(okResult(job, "python-floor", fromSamples(floor)));
    for (const c of COMMANDS) {
      const run = () => timeProcess(V2_PYTHON, [script, root, ...c.args], { cwd: ctx.dir });
      const first = run();
      if (first.status !== 0) {
        out.push(failedResult(job, c.op, `exited ${first.status}: ${first.stderr.trim().split("\n").pop()}`));
        continue;
      }
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) samples.push(run().ms);
      out.push(okResult(job, c.op, fromSamples(samples), { floor: PYTHON_FLOOR_KEY }));
    }
    return out;
  },
};
