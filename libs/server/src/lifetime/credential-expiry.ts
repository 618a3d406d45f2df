import type { ForcedLogout } from '../sockets/forced-logout';
import type { WireSocket } from '../sockets/socket-types';

/** setTimeout's longest delay; later deadlines are re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A socket lives no longer than its credential. Shortly before the access token's `exp` the client gets
 * `auth:expiring`; unless `auth:refresh` brings a fresh token first, at `exp` it gets
 * `session:ended {reason: 'expired'}` and is dropped.
 */
export class CredentialExpiry {
  /** One pending timer per socket: the warning's, then the expiry's (every idle socket keeps it). */
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly config: { expiryWarningMs: number },
    private readonly forcedLogout: ForcedLogout,
  ) {}

  /** (Re)arms the socket's warning and expiry for `socket.data.credentialExpiresAt`. */
  watch(socket: WireSocket): void {
    this.forget(socket);
    const expiresAt = socket.data.credentialExpiresAt;
    this.at(socket, expiresAt - this.config.expiryWarningMs, () => {
      socket.emit('auth:expiring', { exp: Math.floor(expiresAt / 1000) });
      this.at(socket, expiresAt, () => this.forcedLogout.end([socket], 'expired'));
    });
  }

  forget(socket: WireSocket): void {
    clearTimeout(this.timers.get(socket.id));
    this.timers.delete(socket.id);
  }

  /** Clears every timer (on `close()`). */
  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private at(socket: WireSocket, deadline: number, task: () => void): void {
    const timer = setTimeout(() => {
      if (Date.now() >= deadline) task();
      else this.at(socket, deadline, task);
    }, Math.min(Math.max(0, deadline - Date.now()), MAX_TIMER_MS));
    timer.unref();
    this.timers.set(socket.id, timer);
  }
}
