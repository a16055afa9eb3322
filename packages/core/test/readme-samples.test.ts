import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { removeDir, runChild, tempDir, workspaceReadmes } from "@statehouse/conformance/testing";

// Every ```ts block of every README runs here, so the docs cannot drift from the code. A block
// runs as its own ES module in a child process whose working directory is a fresh temporary
// directory: the relative store paths of the samples (file:./.statehouse, …) land there. The
// module itself is written under the repository, so `@statehouse/*` resolves to the built
// packages exactly as for a user. A block that cannot run alone (a vitest configuration, a suite
// for a fictional adapter) is preceded by `<!-- sample: not run: REASON -->`; it is still
// compiled, and the reasons are listed in the test's output.
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const READMES = workspaceReadmes(ROOT);

interface Sample {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly skip?: string;
}

function samples(file: string): Sample[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const out: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "```ts") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== "```") end++;
    const marker =
      /<!--\s*sample:\s*not run:\s*(.+?)\s*-->/.exec(lines[i - 1] ?? "")?.[1] ??
      /<!--\s*sample:\s*not run:\s*(.+?)\s*-->/.exec(lines[i - 2] ?? "")?.[1];
    out.push({ file, line: start, code: lines.slice(start, end).join("\n"), ...(marker !== undefined && { skip: marker }) });
    i = end;
  }
  return out;
}

// Absolute scratch paths in samples (/tmp/...) go into the sample's own directory too.
function localise(code: string): string {
  return code.replace(/(["'`])(file:|sqlite:|lmdb:)?\/tmp\//g, "$1$2./tmp/");
}

const moduleDir = join(ROOT, "node_modules", ".readme-samples");
mkdirSync(moduleDir, { recursive: true });
const workDirs: string[] = [];
afterAll(() => {
  for (const d of workDirs) removeDir(d);
  removeDir(moduleDir);
});

const all = READMES.flatMap(samples);
const skipped = all.filter((s) => s.skip !== undefined);

describe("README code samples", () => {
  it("every README has been scanned and samples were found", () => {
    expect(READMES).toContain("README.md");
    expect(all.length).toBeGreaterThan(4);
    if (skipped.length > 0) console.log(`[readme samples] not run:\n${skipped.map((s) => `  ${s.file}:${s.line}: ${s.skip}`).join("\n")}`);
  });

  for (const s of all) {
    it(`${s.file}:${s.line}${s.skip === undefined ? "" : " (compiled only)"}`, async () => {
      const js = ts.transpileModule(localise(s.code), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        reportDiagnostics: true,
      });
      expect(js.diagnostics ?? [], "the sample compiles").toEqual([]);
      if (s.skip !== undefined) return;
      const work = tempDir("readme").dir;
      workDirs.push(work);
      mkdirSync(join(work, "tmp"));
      const file = join(moduleDir, `${relative(ROOT, join(ROOT, s.file)).replace(/[\\/]/g, "_")}-${s.line}.mjs`);
      writeFileSync(file, js.outputText);
      const r = await runChild(file, [], { cwd: work, timeoutMs: 60_000 }).done;
      expect(r.code, `${s.file}:${s.line} exited ${r.code} (${r.signal ?? "no signal"})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
    });
  }
});
