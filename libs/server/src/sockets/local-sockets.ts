import type { WireServer, WireSocket } from './socket-types';

/** This node's connected sockets (main namespace), looked up synchronously through the local room index (no Redis). */
export class LocalSockets {
  private server?: WireServer;

  attach(server: WireServer): void {
    this.server = server;
  }

  detach(): void {
    this.server = undefined;
  }

  inRooms(roomNames: readonly string[]): WireSocket[] {
    const namespace = this.server?.of('/');
    if (!namespace) return [];
    const found = new Map<string, WireSocket>();
    for (const room of roomNames) {
      for (const socketId of namespace.adapter.rooms.get(room) ?? []) {
        const socket = namespace.sockets.get(socketId);
        if (socket) found.set(socketId, socket);
      }
    }
    return [...found.values()];
  }

  /** The connected sockets among `socketIds` (ids of sockets on other nodes are skipped). */
  byIds(socketIds: readonly string[]): WireSocket[] {
    const namespace = this.server?.of('/');
    if (!namespace) return [];
    return socketIds.flatMap((socketId) => namespace.sockets.get(socketId) ?? []);
  }

  all(): WireSocket[] {
    return [...(this.server?.of('/').sockets.values() ?? [])];
  }

  byId(socketId: string): WireSocket | undefined {
    return this.server?.of('/').sockets.get(socketId);
  }

  count(): number {
    return this.server?.of('/').sockets.size ?? 0;
  }

  /** The server, for messages to the other nodes through the app's adapter; undefined before `attach`. */
  broadcaster(): WireServer | undefined {
    return this.server;
  }
}
