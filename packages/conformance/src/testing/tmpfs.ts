/**
 * The argv prefix that runs a command with a private tmpfs of `size` (e.g. "2m") mounted on `dir`,
 * in its own mount namespace (needs root and util-linux's `unshare`): the way tests fill a disk
 * without filling the machine's. Use as `[...inTmpfs(dir, "2m"), process.execPath, script, …]`.
 */
export function inTmpfs(dir: string, size: string): string[] {
  const script = `mount -t tmpfs -o size=${size},mode=0700 tmpfs "$0" && exec "$@"`;
  return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, dir];
}
