import { USER_LOGGED_OUT_CHANNEL } from '@app/contracts';
import type { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import type { Launcher } from '../../test/support/launcher';
import type { Random } from './random';
import type { FaultKind, World } from './world';

const RECOVERY_TIMEOUT_MS = 90_000;

const WEIGHTS: Record<FaultKind, number> = {
  'gateway-kill': 1,
  'gateway-drain': 1,
  'gateway-freeze': 1,
  'redis-restart': 0.6,
  'pubsub-cut': 1,
};

/**
 * Breaks the cluster one fault at a time, each followed by its recovery (the supervised launcher restarts what
 * died; a frozen gateway is thawed): at any moment at most one thing is broken, so the cluster as a whole serves.
 */
export class FaultInjector {
  private stopping = false;
  private loop?: Promise<void>;

  constructor(
    private readonly launcher: Launcher,
    private readonly redis: Redis,
    private readonly world: World,
    private readonly random: Random,
    private readonly gateways: string[],
    /** Mean pause between two faults (each pause is drawn from 0.2–1.8× of it). */
    private readonly gapMs: number,
  ) {}

  start(): void {
    this.stopping = false;
    this.loop = this.run();
  }

  /** Stops after the fault under way has recovered. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      await delay(this.gapMs * this.random.between(0.2, 1.8));
      if (this.stopping) return;
      const kind = this.random.weighted(WEIGHTS);
      const target = kind === 'redis-restart' ? 'redis' : kind === 'pubsub-cut' ? 'all-subscribers' : this.random.pick(this.gateways)!;
      const freezeMs = this.random.int(1000, 4000);
      const at = Date.now();
      try {
        this.world.faults.push({ kind, target, at, recoveredAt: await this.inject(kind, target, freezeMs) });
      } catch (error) {
        // Nothing else can be trusted once a service does not come back: stop breaking things and report it.
        this.world.faults.push({ kind, target, at, recoveredAt: Date.now() });
        this.world.anomaly('I5', `${kind} of ${target}: ${(error as Error).message}`);
        return;
      }
    }
  }

  /** Breaks `target` and resolves with the time it was whole again. */
  private async inject(kind: FaultKind, target: string, freezeMs: number): Promise<number> {
    switch (kind) {
      case 'gateway-kill':
        return this.restarted(target, 'SIGKILL');
      case 'gateway-drain':
        return this.restarted(target, 'SIGTERM');
      case 'redis-restart':
        // Whole again once the gateways have resubscribed, which is when they re-check what they missed.
        await this.restarted('redis', 'SIGTERM');
        return this.subscribersBack();
      case 'gateway-freeze':
        await this.launcher.signalService(target, 'SIGSTOP');
        await delay(freezeMs);
        await this.launcher.signalService(target, 'SIGCONT');
        return Date.now();
      case 'pubsub-cut':
        // Every subscriber connection (the gateways' `user-logged-out`, auth's acknowledgements) is cut at once,
        // silently from the subscribers' point of view: recovery is theirs (reconnect, resubscribe, re-check).
        await this.redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
        return this.subscribersBack();
    }
  }

  /** Sends `signal` to `service` and resolves once the launcher says it is back. */
  private async restarted(service: string, signal: 'SIGKILL' | 'SIGTERM'): Promise<number> {
    const backBefore = this.backCount(service);
    await this.launcher.signalService(service, signal);
    const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
    while (this.backCount(service) === backBefore) {
      if (Date.now() > deadline) throw new Error(`${service} not back ${RECOVERY_TIMEOUT_MS} ms after ${signal}`);
      await delay(50);
    }
    return Date.now();
  }

  private backCount(service: string): number {
    return this.launcher.printed().split('\n').filter((line) => line.startsWith(`${service} is back`)).length;
  }

  /** Every gateway subscribed to `user-logged-out` again. */
  private async subscribersBack(): Promise<number> {
    const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
    for (;;) {
      const [, count] = (await this.redis.call('PUBSUB', 'NUMSUB', USER_LOGGED_OUT_CHANNEL)) as [string, number];
      if (count >= this.gateways.length) return Date.now();
      if (Date.now() > deadline) throw new Error(`only ${count} of ${this.gateways.length} gateways resubscribed within ${RECOVERY_TIMEOUT_MS} ms`);
      await delay(20);
    }
  }
}
