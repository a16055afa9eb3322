#!/usr/bin/env node
import * as module from "node:module";

// Node >= 22.1 caches compiled code between runs: every hook is a new process, so it pays off.
// Enabled here, before the command's code and core are loaded, so that they are cached too.
// Node 20 lacks it: feature-detected, never required.
module.enableCompileCache?.();

await import("../dist/bin.js");
