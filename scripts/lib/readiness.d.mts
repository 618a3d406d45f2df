// Types for readiness.mjs, used by the TypeScript test harness as well as the launcher.
import type { ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';

export class NotReadyError extends Error {}

export interface ReadinessTarget {
  name: string;
  child: ChildProcess;
  logFile: string;
  timeoutMs: number;
}

/**
 * `ca`: a PEM certificate to trust for an https `url` (a self-signed development certificate). `child` needs only
 * to emit `exit` (code, signal): a ChildProcess, or a container's stand-in.
 */
export function waitForHttpOk(options: Omit<ReadinessTarget, 'child'> & { child: EventEmitter; url: string; ca?: string | Buffer }): Promise<void>;

export function waitForOutput(options: ReadinessTarget & { text: string; recentOutput?: string }): Promise<void>;

export function lastLines(file: string, count: number): Promise<string>;
