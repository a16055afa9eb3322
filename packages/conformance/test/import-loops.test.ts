import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir, removeDir } from "@statehouse/conformance/testing";
import { afterAll, describe, expect, it } from "vitest";
import { importGraph, importLoops, relativeLoops, sourceFiles } from "./helpers/import-graph.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

// The one loop allowed by name: RFC 9535's own grammar (a filter contains queries, a query's
// segments contain filters), issue 17 item 7.
const ALLOWED = [["packages/core/src/query/filter.ts", "packages/core/src/query/segments.ts"]];

function workspaceSources(): string[] {
  const roots = readdirSync(join(ROOT, "packages")).map((p) => join(ROOT, "packages", p, "src"));
  roots.push(join(ROOT, "benchmarks", "src"));
  return roots.flatMap((dir) => {
    try {
      return sourceFiles(dir);
    } catch {
      return []; // a package without src (none today)
    }
  });
}

describe("import loops", () => {
  it("no source file of any package imports a file that imports it back (except the query grammar)", () => {
    const files = workspaceSources();
    expect(files.length).toBeGreaterThan(100);
    const loops = relativeLoops(ROOT, importLoops(importGraph(files)));
    const unexpected = loops.filter((loop) => !ALLOWED.some((allowed) => JSON.stringify(allowed) === JSON.stringify(loop)));
    // Every package's src is in the scan (server, client, mcp and benchmarks included): a new
    // package cannot escape it, and the report says what was scanned.
    const scanned = [...new Set(files.map((f) => relative(ROOT, f).replace(/\/src\/.*$/, "/src")))];
    for (const p of readdirSync(join(ROOT, "packages"))) expect(scanned, `packages/${p}/src is scanned`).toContain(`packages/${p}/src`);
    expect(scanned).toContain("benchmarks/src");
    console.log(
      `[import loops] ${files.length} source files in ${scanned.length} folders (${scanned.join(", ")}); loops: ${loops.map((l) => l.join(" ⇄ ")).join("; ") || "none"} (allowed: ${ALLOWED.map((l) => l.join(" ⇄ ")).join("; ")}); unexpected: ${unexpected.length}`,
    );
    expect(unexpected, `import loops:\n${unexpected.map((l) => `  ${l.join(" ⇄ ")}`).join("\n")}`).toEqual([]);
  });

  describe("the scan itself", () => {
    const dir = tempDir("loops").dir;
    afterAll(() => removeDir(dir));
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };

    it("finds a loop through type-only, dynamic, re-export and directory-index imports, and nothing in a tree", () => {
      write("a.ts", 'import type { B } from "./b.js";\nexport const a = 1;\n');
      write("b.ts", 'export { c } from "./sub/index.js";\nexport type B = 1;\n');
      write("sub/index.ts", 'export const c = () => import("../a.js");\n');
      write("tree/x.ts", 'import {\n  y,\n} from "./y.js";\nimport "./z.js";\n');
      write("tree/y.ts", "export const y = 1;\n");
      write("tree/z.ts", 'import { y } from "./y.js";\n');
      write("self.ts", 'import * as me from "./self.js";\n');
      const loops = relativeLoops(dir, importLoops(importGraph(sourceFiles(dir))));
      expect(loops).toEqual(expect.arrayContaining([["a.ts", "b.ts", "sub/index.ts"], ["self.ts"]]));
      expect(loops).toHaveLength(2);
    });
  });
});
