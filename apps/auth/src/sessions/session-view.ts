import type { SessionId, SessionView } from '@app/contracts';
import type { SessionRecord } from '@app/sessions';

export function toSessionView(record: SessionRecord, currentSessionId?: SessionId): SessionView {
  return {
    sessionId: record.sessionId,
    createdAt: new Date(record.createdAt).toISOString(),
    expiresAt: new Date(record.expiresAt).toISOString(),
    lastSeenAt: new Date(record.lastSeenAt).toISOString(),
    userAgent: record.userAgent,
    ip: record.ip,
    ...(currentSessionId ? { current: record.sessionId === currentSessionId } : {}),
  };
}
