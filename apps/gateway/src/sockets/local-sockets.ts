import { Injectable } from '@nestjs/common';
import type { GatewayServer, GatewaySocket } from './socket-types';

/** This node's connected sockets, looked up synchronously through the local room index (no Redis). */
@Injectable()
export class LocalSockets {
  private server?: GatewayServer;

  attach(server: GatewayServer): void {
    this.server = server;
  }

  inRooms(roomNames: readonly string[]): GatewaySocket[] {
    const namespace = this.server?.of('/');
    if (!namespace) return [];
    const found = new Map<string, GatewaySocket>();
    for (const room of roomNames) {
      for (const socketId of namespace.adapter.rooms.get(room) ?? []) {
        const socket = namespace.sockets.get(socketId);
        if (socket) found.set(socketId, socket);
      }
    }
    return [...found.values()];
  }

  /** The connected sockets among `socketIds` (ids of sockets on other nodes are skipped). */
  byIds(socketIds: readonly string[]): GatewaySocket[] {
    const namespace = this.server?.of('/');
    if (!namespace) return [];
    return socketIds.flatMap((socketId) => namespace.sockets.get(socketId) ?? []);
  }

  all(): GatewaySocket[] {
    return [...(this.server?.of('/').sockets.values() ?? [])];
  }

  count(): number {
    return this.server?.of('/').sockets.size ?? 0;
  }

  /** The server, for broadcasts through the Redis adapter (reaches every node). */
  broadcaster(): GatewayServer {
    if (!this.server) throw new Error('Socket.IO server not attached yet');
    return this.server;
  }
}
