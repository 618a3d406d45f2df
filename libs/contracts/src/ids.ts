import { z } from 'zod';

/** User ids are UUIDv4; session ids are 144 random bits, base64url. Both are public handles, never credentials. */
export type UserId = string;
export type SessionId = string;

export const userIdSchema = z.uuid({ version: 'v4' }) satisfies z.ZodType<UserId>;
export const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{24}$/, 'expected a session id') satisfies z.ZodType<SessionId>;

export const roleSchema = z.enum(['user', 'admin']);
export type Role = z.infer<typeof roleSchema>;
