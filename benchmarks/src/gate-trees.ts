import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError, IoError } from "@statehouse/core";

/** A checkout the gate runs scenarios from: its own built benchmark child and packages. */
export interface GateTree {
  /** `base` or `head`. */
  readonly role: "base" | "head";
  /** The ref as given (`worktree` for the current checkout). */
  readonly ref: string;
  /** The commit (12 hex digits), with ` + changes` when the current checkout is dirty. */
  readonly commit: string;
  readonly dir: string;
  /** `<dir>/benchmarks/dist/child.js`: resolves `@statehouse/*` from `<dir>`'s own node_modules. */
  readonly childScript: string;
  /** How it came to be: the current checkout, a cached build, or a build made by this run. */
  readonly source: "checkout" | "cached" | "built";
}

/** Where commit builds are cached. Default: `$XDG_CACHE_HOME/statehouse-bench-gate` (or `~/.cache/…`). */
export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "statehouse-bench-gate");
}

/** The marker a finished build leaves: a cache entry without it is a build that died half-way. */
const BUILT_MARKER = ".statehouse-gate-built";

/** How many commit builds the cache keeps (the least recently used go first). */
const KEEP_BUILDS = 3;

export function git(repo: string, args: string[]): string {
  return execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

function tryGit(repo: string, args: string[]): string | undefined {
  try {
    return git(repo, args);
  } catch {
    return undefined;
  }
}

/** The full sha of a ref, or a ConfigError naming it. */
export function resolveCommit(repo: string, ref: string): string {
  const sha = tryGit(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (sha === undefined || sha === "") throw new ConfigError(`--base/--head: "${ref}" is not a commit in ${repo}`);
  return sha;
}

/**
 * The default base: where this branch left main (the merge-base with `main`, else `origin/main`);
 * on main itself, or where there is no main, the commit before HEAD.
 */
export function defaultBase(repo: string): string {
  const head = resolveCommit(repo, "HEAD");
  for (const main of ["main", "origin/main"]) {
    const mb = tryGit(repo, ["merge-base", "HEAD", main]);
    if (mb !== undefined && mb !== "" && mb !== head) return mb;
  }
  return resolveCommit(repo, "HEAD~1");
}

/** `pnpm` as the gate was started with it (pnpm sets npm_execpath), else pnpm 10 through npx. */
function pnpmCommand(): [string, string[]] {
  const exec = process.env.npm_execpath;
  if (exec !== undefined && /pnpm/.test(exec)) return [process.execPath, [exec]];
  return ["npx", ["-y", "pnpm@10"]];
}

function run(cmd: string, args: string[], cwd: string, log: (line: string) => void): boolean {
  log(`$ ${[cmd, ...args].join(" ")}   (in ${cwd})`);
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) log(`${(r.stderr || r.stdout || r.error?.message || "").trim().split("\n").slice(-15).join("\n")}`);
  return r.status === 0;
}

/** Installs and builds a checkout: offline from the pnpm store first (fast, no network), else online. */
export function buildCheckout(dir: string, log: (line: string) => void): void {
  const [pnpm, pre] = pnpmCommand();
  const installed =
    run(pnpm, [...pre, "install", "--frozen-lockfile", "--offline"], dir, log) ||
    run(pnpm, [...pre, "install", "--frozen-lockfile"], dir, log);
  if (!installed) throw new IoError(`pnpm install failed in ${dir}`);
  if (!run(pnpm, [...pre, "run", "build"], dir, log)) throw new IoError(`the build failed in ${dir}`);
}

function removeWorktree(repo: string, dir: string): void {
  tryGit(repo, ["worktree", "remove", "--force", dir]);
  rmSync(dir, { recursive: true, force: true });
  tryGit(repo, ["worktree", "prune"]);
}

/** Drops the least recently used builds past {@link KEEP_BUILDS}, keeping `keep`. */
function pruneCache(repo: string, cacheDir: string, keep: string): void {
  const entries = readdirSync(cacheDir)
    .map((name) => join(cacheDir, name))
    .filter((d) => d !== keep && existsSync(join(d, BUILT_MARKER)))
    .sort((a, b) => statSync(join(b, BUILT_MARKER)).mtimeMs - statSync(join(a, BUILT_MARKER)).mtimeMs);
  for (const d of entries.slice(KEEP_BUILDS - 1)) removeWorktree(repo, d);
}

/**
 * A built checkout of `sha`: a detached git worktree under the cache directory, installed and built
 * once and reused by every later gate run on the same commit. A build that fails is removed, so a
 * later run starts clean; the cache keeps the last few commits only.
 */
export function prepareCommit(repo: string, sha: string, cacheDir: string, log: (line: string) => void): { dir: string; cached: boolean } {
  mkdirSync(cacheDir, { recursive: true });
  const dir = join(cacheDir, sha);
  const marker = join(dir, BUILT_MARKER);
  if (existsSync(marker)) {
    // Touch it: the cache drops the least recently used builds.
    writeFileSync(marker, new Date().toISOString());
    return { dir, cached: true };
  }
  if (existsSync(dir)) removeWorktree(repo, dir);
  tryGit(repo, ["worktree", "prune"]);
  git(repo, ["worktree", "add", "--detach", dir, sha]);
  try {
    buildCheckout(dir, log);
  } catch (err) {
    removeWorktree(repo, dir);
    throw err;
  }
  writeFileSync(marker, new Date().toISOString());
  pruneCache(repo, cacheDir, dir);
  return { dir, cached: false };
}

/** Options of {@link prepareTree}. */
export interface PrepareTreeOptions {
  /** The repository (the current checkout). */
  repo: string;
  /** Where commit builds go. Default {@link defaultCacheDir}. */
  cacheDir?: string;
  /** Build the current checkout before using it (default true); commits are always built once. */
  buildCheckout?: boolean;
  log?: (line: string) => void;
}

/** The tree for `ref`: `worktree` is the current checkout (as it is on disk), anything else a commit. */
export function prepareTree(role: "base" | "head", ref: string, options: PrepareTreeOptions): GateTree {
  const log = options.log ?? (() => {});
  if (ref === "worktree") {
    if (options.buildCheckout !== false) buildCheckout(options.repo, log);
    const sha = tryGit(options.repo, ["rev-parse", "--short=12", "HEAD"]) ?? "unknown";
    const dirty = (tryGit(options.repo, ["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "";
    return checked({ role, ref, commit: dirty ? `${sha} + changes` : sha, dir: options.repo, source: "checkout" });
  }
  const sha = resolveCommit(options.repo, ref);
  const { dir, cached } = prepareCommit(options.repo, sha, options.cacheDir ?? defaultCacheDir(), log);
  return checked({ role, ref, commit: sha.slice(0, 12), dir, source: cached ? "cached" : "built" });
}

function checked(t: Omit<GateTree, "childScript">): GateTree {
  const childScript = join(t.dir, "benchmarks", "dist", "child.js");
  if (!existsSync(childScript)) throw new ConfigError(`${t.role} (${t.ref}) has no built benchmark harness: ${childScript} is missing`);
  return { ...t, childScript };
}
