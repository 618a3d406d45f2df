// Types for packages.mjs, used by the TypeScript test harness as well as `npm run build:packages`.
export interface PackReport {
  name: string;
  version: string;
  filename: string;
  files: Array<{ path: string; size: number; mode: number }>;
  /** The tarball's path when packed into a destination; undefined for a dry run. */
  tarball: string | undefined;
}

export function workspacePackages(): Array<{ dir: string; manifest: { name: string; version: string } }>;
export function buildPackages(log?: (line: string) => void): Promise<string[]>;
export function packPackage(dir: string, destination?: string): Promise<PackReport>;
