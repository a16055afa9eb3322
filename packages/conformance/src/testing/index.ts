/**
 * @statehouse/conformance/testing: the test kit every statehouse package's tests share — a child
 * process runner, a long-lived child speaking JSON lines, sizes for quick and torture runs read in one place, the durability modes to run
 * a suite in, seeded random numbers, temporary directories, a private tmpfs for disk-full tests,
 * fetch over a unix socket, and headless Chromium's launch options.
 */
export {
  type ChildResult,
  type RunChildOptions,
  type RunningChild,
  evalChild,
  killChildren,
  runChild,
  sleep,
  waitForLine,
} from "./child-runner.js";
export { type ChildExit, type ChildMessage, JsonLinesChild, type JsonLinesChildOptions } from "./json-lines-child.js";
export { CHROMIUM_PATH, chromiumLaunchOptions, chromiumMissing } from "./chromium.js";
export { DURABILITY_MODES, TORTURE, forEachDurability, sized } from "./sizes.js";
export { seededRandom } from "./seeded-random.js";
export { type TempDir, removeDir, tempDir } from "./temp-dir.js";
export { workspaceReadmes } from "./readmes.js";
export { inTmpfs } from "./tmpfs.js";
export { type Fetch, type UnixFetchOptions, unixFetch } from "./unix-fetch.js";
