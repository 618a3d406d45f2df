// Types for packages.mjs, used by the TypeScript test harness (test/packages) as well as the build scripts.

export interface WorkspacePackage {
  dir: string;
  manifest: { name: string; version: string; [field: string]: unknown };
}

export function workspacePackages(): WorkspacePackage[];

export function buildPackages(log?: (line: string) => void): Promise<string[]>;

/** `npm pack --json`'s report of one package (the fields the tests read). */
export interface PackReport {
  name: string;
  version: string;
  filename: string;
  files: Array<{ path: string; size: number }>;
  /** The tarball's path, when packed into a destination (not a dry run). */
  tarball?: string;
}

export function packPackage(dir: string, destination?: string): Promise<PackReport>;
