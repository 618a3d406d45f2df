import { z } from 'zod';

/** User ids are UUIDv4; session ids are 144 random bits, base64url. Both are public handles, never credentials. */
export const userIdSchema = z.uuid({ version: 'v4' });
export const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{24}$/, 'expected a session id');

export type UserId = z.infer<typeof userIdSchema>;
export type SessionId = z.infer<typeof sessionIdSchema>;

export const roleSchema = z.enum(['user', 'admin']);
export type Role = z.infer<typeof roleSchema>;
