/** The access token's `exp`, in epoch ms. */
export function expiryOf(accessToken: string): number {
  return (JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { exp: number }).exp * 1000;
}

/** Resolves once the wall clock has passed `epochMs` (token expiry has no event a test could await). */
export async function clockPast(epochMs: number): Promise<void> {
  const wait = epochMs - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
