import type { ForcedLogout } from '../sockets/forced-logout';
import type { WireSocket } from '../sockets/socket-types';

/** setTimeout's longest delay; later deadlines are re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A watched socket's next deadline: its warning's, then (once warned) its expiry's. */
interface Deadline {
  readonly socket: WireSocket;
  readonly expiresAt: number;
  at: number;
  warned: boolean;
  /** Position in the heap, for removal when the socket goes or its credential changes. */
  index: number;
}

/**
 * A socket lives no longer than its credential. Shortly before the access token's `exp` the client gets
 * `auth:expiring`; unless `auth:refresh` brings a fresh token first, at `exp` it gets
 * `session:ended {reason: 'expired'}` and is dropped.
 *
 * Every socket is idle almost all of its life, so the deadlines of all sockets share one timer: a min-heap by
 * deadline and a single timeout for the earliest (a timer and two closures per socket cost more heap than the
 * socket's own Socket.IO state).
 */
export class CredentialExpiry {
  private readonly deadlines = new Map<WireSocket, Deadline>();
  private readonly heap: Deadline[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (undefined when none is armed). */
  private timerAt: number | undefined;

  constructor(
    private readonly config: { expiryWarningMs: number },
    private readonly forcedLogout: ForcedLogout,
  ) {}

  /**
   * (Re)arms the socket's warning and expiry for `socket.data.credentialExpiresAt`. A socket that has disconnected
   * (e.g. while its `auth:refresh` was being checked) is only forgotten: nothing may keep it alive. An expiry that is
   * not a number counts as past.
   */
  watch(socket: WireSocket): void {
    this.forget(socket);
    if (!socket.connected) return;
    const expiresAt = Number.isFinite(socket.data.credentialExpiresAt) ? socket.data.credentialExpiresAt : Date.now();
    const deadline: Deadline = { socket, expiresAt, at: expiresAt - this.config.expiryWarningMs, warned: false, index: this.heap.length };
    this.deadlines.set(socket, deadline);
    this.heap.push(deadline);
    this.siftUp(deadline.index);
    this.arm();
  }

  forget(socket: WireSocket): void {
    const deadline = this.deadlines.get(socket);
    if (!deadline) return;
    this.deadlines.delete(socket);
    this.removeAt(deadline.index);
  }

  /** Stops the timer and forgets every socket (on `close()`). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
    this.deadlines.clear();
    this.heap.length = 0;
  }

  /** Keeps the timer set for the earliest deadline (never earlier than now: a past deadline fires on the next turn). */
  private arm(): void {
    const next = this.heap[0];
    if (!next) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = undefined;
      return;
    }
    const now = Date.now();
    const at = Math.max(next.at, now);
    if (this.timer && this.timerAt !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.min(at - now, MAX_TIMER_MS));
    this.timer.unref();
  }

  /** Warns or ends every socket whose deadline has come (the timer may also fire early, or at MAX_TIMER_MS). */
  private fire(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    const now = Date.now();
    const warn: Deadline[] = [];
    const expired: WireSocket[] = [];
    while (this.heap[0] && this.heap[0].at <= now) {
      const due = this.heap[0];
      if (due.warned) {
        this.deadlines.delete(due.socket);
        this.removeAt(0);
        expired.push(due.socket);
      } else {
        due.warned = true;
        due.at = due.expiresAt;
        this.siftDown(0);
        warn.push(due);
      }
    }
    try {
      for (const { socket, expiresAt } of warn) socket.emit('auth:expiring', { exp: Math.floor(expiresAt / 1000) });
      if (expired.length > 0) this.forcedLogout.end(expired, 'expired');
    } finally {
      // Whatever threw, the sockets still in the heap keep their deadlines.
      this.arm();
    }
  }

  private removeAt(index: number): void {
    const last = this.heap.pop();
    if (!last || index === this.heap.length) return;
    this.heap[index] = last;
    last.index = index;
    this.siftDown(index);
    this.siftUp(last.index);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const item = heap[index];
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex];
      if (parent.at <= item.at) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = item;
    item.index = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const item = heap[index];
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right].at < heap[left].at ? right : left;
      if (heap[child].at >= item.at) break;
      heap[index] = heap[child];
      heap[index].index = index;
      index = child;
    }
    heap[index] = item;
    item.index = index;
  }
}
