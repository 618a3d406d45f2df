// Types for readiness.mjs, used by the TypeScript test harness as well as the launcher.
import type { ChildProcess } from 'node:child_process';

export class NotReadyError extends Error {}

export interface ReadinessTarget {
  name: string;
  child: ChildProcess;
  logFile: string;
  timeoutMs: number;
}

/** `ca`: a PEM certificate to trust for an https `url` (a self-signed development certificate). */
export function waitForHttpOk(options: ReadinessTarget & { url: string; ca?: string | Buffer }): Promise<void>;

export function waitForOutput(options: ReadinessTarget & { text: string; recentOutput?: string }): Promise<void>;

export function lastLines(file: string, count: number): Promise<string>;
