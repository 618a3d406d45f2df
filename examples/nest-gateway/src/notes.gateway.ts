import { MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { SessionwireSession, type SessionwireSocketData } from '@sessionwire/nest';
import { sessionwireRooms } from '@sessionwire/server';
import type { Server } from 'socket.io';

export interface Note {
  text: string;
  sessionId: string;
  at: number;
}

interface NotesServerEvents {
  'notes:added': (note: Note) => void;
}

type NotesServer = Server<Record<string, never>, NotesServerEvents, Record<string, never>, SessionwireSocketData>;

/**
 * The app's own events: a note added on any socket of a user reaches every socket of that user, on every process
 * (the user's room spans the nodes through the Redis adapter). Who the user is comes from the handshake.
 */
@WebSocketGateway()
export class NotesGateway {
  @WebSocketServer() private readonly server!: NotesServer;

  @SubscribeMessage('notes:add')
  add(@SessionwireSession() session: SessionwireSocketData, @MessageBody() payload: unknown): { ok: true; note: Note } | { ok: false; error: string } {
    const text = typeof payload === 'object' && payload !== null ? (payload as { text?: unknown }).text : undefined;
    if (typeof text !== 'string' || text.length === 0 || text.length > 500) return { ok: false, error: 'text: 1 to 500 characters' };
    const note: Note = { text, sessionId: session.sessionId, at: Date.now() };
    this.server.to(sessionwireRooms.user(session.userId)).emit('notes:added', note);
    return { ok: true, note };
  }
}
