export interface SessionOptions {
  /** A session unused for this long ends. @default 43200 (12 h) */
  idleTtlSeconds: number;
  /** A session ends this long after login, however active. @default 604800 (7 days) */
  absoluteTtlSeconds: number;
  /**
   * For this long after a rotation, presenting the refresh token just rotated away yields the current one
   * instead of ending the session (concurrent refreshes, e.g. two tabs); 0 treats every replay as reuse. Only
   * the service that rotates refresh tokens sets it: the auth service passes `REFRESH_REUSE_GRACE` (default 30,
   * at most 300); the gateways, which never rotate, leave it unset.
   * @default 0 (when unset)
   */
  refreshReuseGraceSeconds?: number;
}
