#!/usr/bin/env node
// CommonJS (bin/package.json): a hook forwarded to a daemon then never loads Node's ESM loader.
const { enableCompileCache } = require("node:module");

// Node >= 22.1 caches compiled code between runs: every hook is a new process, so it pays off.
// Enabled here, before the command's code and core are loaded, so that they are cached too.
// Node 20 lacks it: feature-detected, never required.
enableCompileCache?.();

// When a daemon serves the store, the thin client has it run the command (dist/thin.cjs, one small
// module); otherwise, or when the command needs this process (stdin, files), the full CLI runs it.
const { runThin } = require("../dist/thin.cjs");
runThin(process.argv.slice(2)).then((status) => {
  if (status === undefined) return import("../dist/bin.js");
  process.exitCode = status;
});
