/**
 * A minimal typed event emitter (event name → payload type), so the SDK needs neither Node's `events` nor a
 * browser-only EventTarget.
 */
export class TypedEmitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  /** Adds `listener`; returns the function that removes it. */
  on<Event extends keyof Events>(event: Event, listener: (payload: Events[Event]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<Event extends keyof Events>(event: Event, payload: Events[Event]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) (listener as (payload: Events[Event]) => void)(payload);
  }

  removeAll(): void {
    this.listeners.clear();
  }
}
