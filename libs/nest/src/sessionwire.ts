import type { Sessionwire as SessionwireHandle } from '@sessionwire/server';

// The injection token and the handle's type under one name, so `constructor(private readonly wire: Sessionwire)`
// injects it by type (the class is never instantiated: the value is the handle `createSessionwire` made).
/**
 * The application's sessionwire handle (what `createSessionwire` returns), provided by `SessionwireModule`:
 * inject it as `constructor(private readonly wire: Sessionwire)` for `status()`, `ready()`, `localSockets()` or
 * `nodeId`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export abstract class Sessionwire {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface Sessionwire extends SessionwireHandle {}
