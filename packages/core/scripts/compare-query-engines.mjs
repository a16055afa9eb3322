#!/usr/bin/env node
// Compares JSONPath engines for @statehouse/core, by measurement, in one process and one run:
// RFC 9535 compliance-suite pass rate, speed (median and p99) on a 1 KB and a 1 MB document for
// a simple path, a filter and a descendant query, resistance to the published jsonpath-plus
// code-execution payloads (with a canary), catastrophic regex and a deep document.
//
//   node packages/core/scripts/compare-query-engines.mjs            (after building core)
//   node packages/core/scripts/compare-query-engines.mjs --quick    (fewer samples)
//
// Prints markdown tables; docs/query-engine.md holds a copy of one run and the decision.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { seededRandom } from "@statehouse/conformance/testing";

const here = dirname(fileURLToPath(import.meta.url));
const coreDir = join(here, "..");
const require = createRequire(join(coreDir, "package.json"));
const quick = process.argv.includes("--quick");

// ---------------------------------------------------------------------------------------------
// Engines

/** The statehouse engine from core's build; if core's index does not export it yet, bundle it. */
async function loadStatehouse() {
  const dist = join(coreDir, "dist", "index.js");
  try {
    const mod = await import(pathToFileURL(dist).href);
    if (typeof mod.compileQuery === "function") return { mod, path: dist, cleanup: () => {} };
  } catch {
    // not built: fall through to a bundle of src/query
  }
  const { build } = await import(require.resolve("tsup"));
  // Inside core's node_modules, so that the bundle resolves re2js like core does.
  const cacheDir = join(coreDir, "node_modules", ".cache");
  mkdirSync(cacheDir, { recursive: true });
  const outDir = mkdtempSync(join(cacheDir, "statehouse-query-"));
  await build({
    entry: { query: join(coreDir, "src", "query", "index.ts") },
    outDir,
    format: ["esm"],
    target: "node20",
    config: false,
    dts: false,
    silent: true,
    external: ["re2js"],
  });
  const file = ["query.js", "query.mjs"].map((name) => join(outDir, name)).find((f) => existsSync(f));
  const mod = await import(pathToFileURL(file).href);
  process.stderr.write(`note: core's dist does not export compileQuery; bundled src/query to ${file}\n`);
  return { mod, path: file, cleanup: () => rmSync(outDir, { recursive: true, force: true }) };
}

const version = (name) => require(`${name}/package.json`).version;

const statehouse = await loadStatehouse();
const jsonp3 = await import(require.resolve("json-p3").replace(/json-p3\.cjs\.js$/, "json-p3.esm.js")).catch(() =>
  import("json-p3"),
);
const rfc9535 = await import(pathToFileURL(join(coreDir, "node_modules", "jsonpath-rfc9535", "dist", "esm", "index.js")).href);
const { JSONPath } = await import(pathToFileURL(require.resolve("jsonpath-plus")).href);

/**
 * Each engine: compile(expression) returns run(document) → { values, paths }. Every engine is
 * asked for values and paths, which is what the store returns; compiled forms are reused where
 * the engine offers them (json-p3 and ours), the others parse per call (their only API).
 */
const jsonPathPlus = (evalMode) => (expression) => (json) => {
  const all = JSONPath({ path: expression, json, eval: evalMode, resultType: "all", wrap: true });
  return { values: all.map((r) => r.value), paths: all.map((r) => r.path) };
};

// Speed and compliance are measured without our safety limits (no other engine has them); the
// limits have their own tests (test/query-limits.test.ts) and rows below.
const RAW = { maxNodes: 1e9, maxMillis: 1e9 };

const ENGINES = [
  {
    name: "statehouse runQuery() (incl. cache lookup)",
    version: "this repo",
    usable: true,
    speedOnly: true,
    // What the store calls: compileQuery's LRU lookup by expression, then the run.
    compile: (expression) => (doc) => {
      const nodes = statehouse.mod.runQuery(doc, expression, RAW);
      return { values: nodes.map((n) => n.value), paths: nodes.map((n) => n.path) };
    },
  },
  {
    name: "statehouse (in-house)",
    version: "this repo",
    usable: true,
    compile: (expression) => {
      const q = statehouse.mod.compileQuery(expression);
      return (doc) => {
        const nodes = q.run(doc, RAW);
        return { values: nodes.map((n) => n.value), paths: nodes.map((n) => n.path) };
      };
    },
  },
  {
    name: "json-p3",
    version: version("json-p3"),
    usable: true,
    compile: (expression) => {
      const q = jsonp3.jsonpath.compile(expression);
      return (doc) => {
        const nodes = q.query(doc);
        return { values: nodes.values(), paths: nodes.paths() };
      };
    },
  },
  {
    name: "jsonpath-rfc9535",
    version: version("jsonpath-rfc9535"),
    usable: true,
    compile: (expression) => {
      // Fail at compile time for invalid selectors, like the others.
      rfc9535.query(null, expression);
      return (doc) => {
        const values = [];
        const paths = [];
        rfc9535.exec(doc, expression, (value, path) => {
          values.push(value);
          paths.push(path);
        });
        return { values, paths };
      };
    },
  },
  {
    name: "jsonpath-plus eval:false",
    version: version("jsonpath-plus"),
    usable: true,
    compile: jsonPathPlus(false),
  },
  {
    name: "jsonpath-plus eval:'safe' (default)",
    version: version("jsonpath-plus"),
    usable: false,
    compile: jsonPathPlus("safe"),
    // Its own filter dialect (JavaScript in parentheses).
    dialect: { "$.items[?@.price < 10]": "$.items[?(@.price < 10)]" },
  },
];

// ---------------------------------------------------------------------------------------------
// 1. RFC 9535 compliance test suite

const cts = JSON.parse(readFileSync(join(coreDir, "test", "fixtures", "jsonpath-cts", "cts.json"), "utf8")).tests;

function ctsCase(engine, c) {
  let run;
  try {
    run = engine.compile(c.selector);
  } catch {
    return c.invalid_selector === true;
  }
  if (c.invalid_selector) {
    // Some engines only notice at run time.
    try {
      run(c.document ?? {});
    } catch {
      return true;
    }
    return false;
  }
  let got;
  try {
    got = run(c.document);
  } catch {
    return false;
  }
  const options = c.result !== undefined ? [c.result] : c.results;
  const text = JSON.stringify(got.values);
  return options.some((expected) => JSON.stringify(expected) === text);
}

const CTS_ENGINES = () => ENGINES.filter((e) => !e.speedOnly);
const REFERENCE = () => CTS_ENGINES()[0];

function ctsRow(engine) {
  let passed = 0;
  let validPassed = 0;
  let invalidPassed = 0;
  for (const c of cts) {
    const ok = ctsCase(engine, c);
    if (ok) passed++;
    if (ok && c.invalid_selector) invalidPassed++;
    if (ok && !c.invalid_selector) validPassed++;
  }
  const invalid = cts.filter((c) => c.invalid_selector).length;
  return { passed, validPassed, invalidPassed, valid: cts.length - invalid, invalid };
}

// ---------------------------------------------------------------------------------------------
// 2. Speed

/** A deterministic document of about `bytes` bytes of JSON: metadata and an array of items. */
function makeDocument(bytes) {
  const rnd = seededRandom(9535);
  const doc = { meta: { name: "bench", version: 3, owner: { id: "u-1", name: "Ada" } }, items: [] };
  let size = JSON.stringify(doc).length;
  const words = ["red", "green", "blue", "fast", "slow", "new", "used", "big"];
  for (let i = 0; size < bytes; i++) {
    const item = {
      id: i,
      name: `item-${i}`,
      price: Math.round(rnd() * 5000) / 100,
      tags: [words[i % 8], words[(i * 3) % 8]],
      stock: { count: Math.floor(rnd() * 100), warehouse: `w${i % 5}` },
    };
    doc.items.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return doc;
}

const QUERIES = [
  { label: "simple path", expression: "$.meta.owner.name" },
  { label: "filter", expression: "$.items[?@.price < 10]" },
  { label: "descendant", expression: "$..name" },
];

const DOCUMENTS = [
  { label: "1 KB", doc: makeDocument(1024) },
  { label: "1 MB", doc: makeDocument(1024 * 1024) },
];

const now = () => Number(process.hrtime.bigint());

/**
 * Median and p99 of per-call time in µs. Each sample times a batch of k calls (k chosen so a
 * batch lasts at least ~20 µs, so the timer's own cost does not dominate tiny queries).
 */
function measure(fn) {
  const warmUntil = now() + (quick ? 100e6 : 300e6);
  let warm = 0;
  const warmStart = now();
  while (now() < warmUntil || warm < 20) {
    fn();
    warm++;
  }
  const perCall = (now() - warmStart) / warm;
  const k = Math.max(1, Math.ceil(20_000 / perCall));
  const maxSamples = quick ? 300 : 2000;
  const budget = now() + (quick ? 400e6 : 1500e6);
  const samples = [];
  while (samples.length < maxSamples && (now() < budget || samples.length < 30)) {
    const t0 = now();
    for (let i = 0; i < k; i++) fn();
    samples.push((now() - t0) / k / 1000);
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { median: at(0.5), p99: at(0.99), samples: samples.length, batch: k };
}

const canonical = (values) => values.map((v) => JSON.stringify(v)).sort().join("\n");

function speedTable() {
  const rows = [];
  for (const engine of ENGINES) {
    const cells = [];
    for (const { doc } of DOCUMENTS) {
      for (const { expression } of QUERIES) {
        const reference = canonical(REFERENCE().compile(expression)(doc).values);
        const own = engine.dialect?.[expression] ?? expression;
        let run;
        try {
          run = engine.compile(own);
          const got = run(doc);
          if (canonical(got.values) !== reference) {
            cells.push("wrong result");
            continue;
          }
        } catch (err) {
          cells.push(`error (${String(err.message ?? err).slice(0, 40)})`);
          continue;
        }
        const m = measure(() => run(doc));
        cells.push(fmtPair(m.median, m.p99));
      }
    }
    rows.push([engine.name, ...cells]);
  }
  return rows;
}

/** "median / p99" in µs, or in ms once either passes 1 ms. */
function fmtPair(median, p99) {
  const digits = (v) => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
  if (Math.max(median, p99) >= 1000) return `${digits(median / 1000)} / ${digits(p99 / 1000)} ms`;
  return `${digits(median)} / ${digits(p99)} µs`;
}

// ---------------------------------------------------------------------------------------------
// 3. Code-execution payloads (CVE-2024-21534, its bypasses, CVE-2025-1302, a 10.3.0 bypass)

const CANARY = "globalThis.__statehouseCanary='ran'";
const EXIT = "process.exit(99)";
export const PAYLOADS = [
  {
    id: "CVE-2024-21534: script expression calling Function",
    path: `$[(this.constructor.constructor("${CANARY}")())]`,
    json: {},
  },
  {
    id: "CVE-2024-21534 bypass (JSONPath-Plus #226): `var _$_root = [].constructor.constructor(…)`",
    path: `$[?(var _$_root=[].constructor.constructor("${CANARY}");@root())]`,
    json: { a: "x" },
  },
  {
    id: "#226: `__proto__` shadowing to reach Function",
    path: `$[?(__proto__ = 0; __proto__ = constructor; __proto__ = constructor; __proto__("${CANARY}")())]`,
    json: { x: 1 },
  },
  {
    id: "CVE-2025-1302 (10.2.0): `''[['constructor']][['constructor']](p)`",
    path: `$..[?(p="${CANARY}";a=''[['constructor']][['constructor']](p);a())]`,
    json: { example: true },
  },
  {
    id: "CVE-2025-1302, calling process.exit",
    path: `$..[?(p="${EXIT}";a=''[['constructor']][['constructor']](p);a())]`,
    json: { example: true },
  },
  {
    id: "CVE-2025-1302, SSTImap form with @root",
    path: `$..[?(j=@root;p="${CANARY}";a=''[['constructor']][['constructor']]('j',p);a(j);true)]`,
    json: { example: true },
  },
  {
    id: "10.3.0 safe-eval bypass: `__lookupGetter__('__proto__')` → Function.prototype.constructor",
    path: `$[?(@.toString.__lookupGetter__('__proto__').call(@.toString).constructor("${CANARY}")())]`,
    json: [{ a: 1 }],
  },
  {
    id: "RFC-style filter calling constructor",
    path: `$[?@.constructor.constructor("${CANARY}")()]`,
    json: [{ a: 1 }],
  },
];

/** Runs one payload; "RAN CODE" if the canary was set or process.exit was called. */
function tryPayload(run, payload) {
  delete globalThis.__statehouseCanary;
  const realExit = process.exit;
  process.exit = () => {
    globalThis.__statehouseCanary = "exit";
    throw new Error("process.exit intercepted");
  };
  let outcome;
  try {
    const got = run(payload);
    outcome = `no code ran (${got} result${got === 1 ? "" : "s"})`;
  } catch (err) {
    outcome = `refused: ${String(err?.name ?? "error")}`;
  } finally {
    process.exit = realExit;
  }
  if (globalThis.__statehouseCanary !== undefined) outcome = "**RAN CODE**";
  delete globalThis.__statehouseCanary;
  return outcome;
}

function payloadTable() {
  const runners = [
    ...CTS_ENGINES().map((e) => ({ name: e.name, run: (p) => e.compile(p.path)(p.json).values.length })),
    { name: "control: jsonpath-plus eval:'native'", run: (p) => jsonPathPlus("native")(p.path)(p.json).values.length },
  ];
  const header = ["payload", ...runners.map((r) => r.name)];
  const rows = PAYLOADS.map((p) => [p.id, ...runners.map((r) => tryPayload(r.run, p))]);
  return { header, rows };
}

// ---------------------------------------------------------------------------------------------
// 4. Catastrophic regex (in a child process with a timeout) and a deep document

function redosRow() {
  const modules = {
    "statehouse (in-house)": [statehouse.path, "(m, q, d) => m.compileQuery(q).run(d).length"],
    "json-p3": [require.resolve("json-p3"), "(m, q, d) => m.jsonpath.query(q, d).values().length"],
    "jsonpath-rfc9535": [
      join(coreDir, "node_modules", "jsonpath-rfc9535", "dist", "esm", "index.js"),
      "(m, q, d) => m.query(d, q).length",
    ],
  };
  const result = {};
  for (const [name, [file, call]] of Object.entries(modules)) {
    const code = `
      const m = await import(${JSON.stringify(pathToFileURL(file).href)});
      const d = ["${"a".repeat(34)}b"];
      const t0 = performance.now();
      let out;
      try { out = (${call})(m, "$[?match(@, '(a+)+c')]", d) + " results"; } catch (e) { out = "refused: " + e.name; }
      console.log(out + " in " + (performance.now() - t0).toFixed(1) + " ms");`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", code], { timeout: 5000, encoding: "utf8" });
    result[name] = child.error?.code === "ETIMEDOUT" || child.signal ? "**hung (killed after 5 s)**" : child.stdout.trim() || child.stderr.trim().split("\n")[0];
  }
  result["jsonpath-plus eval:false"] = "no filters";
  result["jsonpath-plus eval:'safe' (default)"] = "not run (JavaScript RegExp: backtracking)";
  return result;
}

function deepRow(depth) {
  let doc = { x: 1 };
  for (let i = 0; i < depth; i++) doc = { a: doc };
  const out = {};
  for (const engine of CTS_ENGINES()) {
    const t0 = performance.now();
    try {
      const n = engine.compile("$..x")(doc).values.length;
      out[engine.name] = `${n} result in ${(performance.now() - t0).toFixed(1)} ms`;
    } catch (err) {
      out[engine.name] = `${err.name}: ${String(err.message).slice(0, 50)}`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

function table(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

console.log(`# JSONPath engine comparison\n`);
const load = (await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" ");
const cpus = (await import("node:os")).cpus();
console.log(
  `Node ${process.version}, ${process.platform}/${process.arch}, ${cpus.length} × ${cpus[0]?.model ?? "cpu"}, load average ${load}, ${new Date().toISOString()}${quick ? " (--quick)" : ""}\n`,
);

console.log("## RFC 9535 compliance test suite (703 cases)\n");
console.log(
  table(
    ["engine", "version", "passed", "valid selectors right", "invalid selectors refused"],
    CTS_ENGINES().map((e) => {
      const r = ctsRow(e);
      return [e.name, e.version, `**${r.passed}/${cts.length}**`, `${r.validPassed}/${r.valid}`, `${r.invalidPassed}/${r.invalid}`];
    }),
  ),
);

console.log("\n## Speed: median / p99 per query (values and paths), same process\n");
const docSizes = DOCUMENTS.map((d) => `${d.label} = ${JSON.stringify(d.doc).length} bytes`).join(", ");
console.log(`Documents: ${docSizes}. Queries: ${QUERIES.map((q) => `${q.label} \`${q.expression}\``).join(", ")}.\n`);
console.log(
  table(
    ["engine", ...DOCUMENTS.flatMap((d) => QUERIES.map((q) => `${d.label} ${q.label}`))],
    speedTable(),
  ),
);

console.log("\n## Code-execution payloads (canary: sets a global or calls process.exit)\n");
const payloads = payloadTable();
console.log(table(payloads.header, payloads.rows));

console.log("\n## Catastrophic regex `$[?match(@, '(a+)+c')]` on 'a'×34 + 'b', and a depth-10,000 document `$..x`\n");
const redos = redosRow();
const deep = deepRow(10_000);
console.log(
  table(
    ["engine", "catastrophic regex", "depth 10,000"],
    CTS_ENGINES().map((e) => [e.name, redos[e.name] ?? "", deep[e.name] ?? ""]),
  ),
);
statehouse.cleanup();
