import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, cleanup, tempDir } from "./helpers.js";
import { workspaceReadmes } from "@statehouse/conformance/testing";

// Issue 15, "every code sample in a README runs in a test": every ```sh / ```bash block of
// README.md and packages/*/README.md runs here with bash -e -o pipefail, in a fresh temporary
// directory (so the default store file:./.statehouse is a new one), with the built CLI on PATH as
// `statehouse`. (The ```ts blocks run in packages/core/test/readme-samples.test.ts.) Markers in an
// HTML comment on the lines just before a block:
//   <!-- sample: setup: COMMANDS -->     run first, in the same shell: the state the sample assumes
//                                        (a session in $SESSION_ID, a file it reads, …)
//   <!-- sample: not run: REASON -->     not run (installs packages, needs a terminal, follows a store
//                                        forever, needs a daemon or a server); the reasons are printed
// Absolute example paths (/path/…, /tmp/…) are made relative to the sample's directory.
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const READMES = workspaceReadmes(ROOT);

interface ShellSample {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly setup: readonly string[];
  readonly skip?: string;
}

const MARKER = /^<!--\s*sample:\s*(not run|setup):\s*(.+?)\s*-->$/;

function shellSamples(file: string): ShellSample[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const out: ShellSample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash)\s*$/.test(lines[i]!.trim())) continue;
    const setup: string[] = [];
    let skip: string | undefined;
    // The markers are the HTML comments directly above the fence.
    for (let j = i - 1; j >= 0; j--) {
      const m = MARKER.exec(lines[j]!.trim());
      if (m === null) break;
      if (m[1] === "not run") skip = m[2];
      else setup.unshift(m[2]!);
    }
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== "```") end++;
    out.push({ file, line: start, code: lines.slice(start, end).join("\n"), setup, ...(skip !== undefined && { skip }) });
    i = end;
  }
  return out;
}

function localise(code: string): string {
  return code.replace(/(^|[\s"'=:])\/(path|tmp)\//g, "$1./$2/");
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) cleanup(d);
});

/** A directory with `statehouse` (the built CLI) in it, for PATH. */
function binDir(): string {
  const dir = tempDir("readme-bin");
  dirs.push(dir);
  const shim = join(dir, "statehouse");
  writeFileSync(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}

const all = READMES.flatMap(shellSamples);
const skipped = all.filter((s) => s.skip !== undefined);

describe("README shell samples", () => {
  const bin = binDir();

  it("every README has been scanned and shell samples were found; the ones not run say why", () => {
    expect(READMES).toContain("packages/cli/README.md");
    expect(all.length).toBeGreaterThan(10);
    expect(all.length - skipped.length, "samples that run").toBeGreaterThanOrEqual(10);
    for (const s of skipped) expect(s.skip!.length, `${s.file}:${s.line}: a reason`).toBeGreaterThan(10);
    console.log(`[readme shell samples] not run:\n${skipped.map((s) => `  ${s.file}:${s.line}: ${s.skip}`).join("\n")}`);
  });

  for (const s of all.filter((x) => x.skip === undefined)) {
    it(`${s.file}:${s.line}`, () => {
      const work = tempDir("readme-sh");
      dirs.push(work);
      mkdirSync(join(work, "path"));
      mkdirSync(join(work, "tmp"));
      const script = [...s.setup.map(localise), localise(s.code)].join("\n");
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("STATEHOUSE_")) env[k] = v;
      Object.assign(env, { PATH: `${bin}:${process.env.PATH}`, HOME: work, XDG_RUNTIME_DIR: work, TMPDIR: work, NO_COLOR: "1" });
      const r = spawnSync("bash", ["-e", "-o", "pipefail", "-c", script], {
        cwd: work,
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 120_000,
      });
      const shown = `exit ${r.status} (signal ${r.signal})\n--- script\n${script}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
      expect(r.status, shown).toBe(0);
    }, 180_000);
  }
});
