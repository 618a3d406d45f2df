// Types for tls.mjs, used by the TypeScript test harness as well as the launcher.

export const DEV_CERTIFICATE_NAMES: string;

export function ensureDevCertificate(dir: string): Promise<{ cert: string; key: string; created: boolean }>;
