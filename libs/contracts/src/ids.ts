import { z } from 'zod';

/**
 * User ids are UUIDs: v4 (random) for the auth service's users, v8 (name-based, SHA-256) for users of an external
 * OpenID Provider. Session ids are 144 bits, base64url (random, or digested from the provider's `sid`). Both are
 * public handles, never credentials.
 */
export type UserId = string;
export type SessionId = string;

export const userIdSchema = z.union([z.uuid({ version: 'v4' }), z.uuid({ version: 'v8' })], { error: 'expected a user id (a UUID)' }) satisfies z.ZodType<UserId>;
export const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{24}$/, 'expected a session id') satisfies z.ZodType<SessionId>;

export const roleSchema = z.enum(['user', 'admin']);
export type Role = z.infer<typeof roleSchema>;
