import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

// A small static import-graph scan of the workspace's source files, for the import-loop check.
// Every relative import counts, type-only and dynamic ones included: a `import type` loop still
// ties two files' contracts together, and a lazy `import()` is still a dependency.

const STATIC = /(?:^|[;}\n])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*${},\s]+?\s+from\s+)?["']([^"']+)["']/g;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The `.ts` files under `dir`, recursively (node_modules and dist skipped). */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(?:m|c)?ts$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** The relative import specifiers of a file's text. */
export function importSpecifiers(text: string): string[] {
  const specs: string[] = [];
  for (const re of [STATIC, DYNAMIC]) for (const m of text.matchAll(re)) if (m[1]!.startsWith(".")) specs.push(m[1]!);
  return specs;
}

function resolveSpecifier(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.(m|c)?js$/, ".$1ts"), base, `${base}.ts`, join(base, "index.ts")];
  return candidates.find((c) => c.endsWith("ts") && existsSync(c) && statSync(c).isFile());
}

/** file → the workspace files it imports (absolute paths). */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = importSpecifiers(readFileSync(file, "utf8"))
      .map((spec) => resolveSpecifier(file, spec))
      .filter((t): t is string => t !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The import loops: every strongly connected set of more than one file (or a file importing itself), paths sorted. */
export function importLoops(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const loops: string[][] = [];
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.next < edges.length) {
        const target = edges[frame.next++]!;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const members: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        members.push(member);
      } while (member !== frame.node);
      const selfLoop = (graph.get(frame.node) ?? []).includes(frame.node);
      if (members.length > 1 || selfLoop) loops.push(members.sort());
    }
  }
  return loops;
}

/** Loops as workspace-relative paths, for messages and allow-lists. */
export function relativeLoops(root: string, loops: readonly string[][]): string[][] {
  return loops.map((loop) => loop.map((file) => relative(root, file)));
}
