import { z } from 'zod';
import { InvalidConfigError } from './invalid-config.error';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Validates `env` against a schema whose keys are variable names; empty strings count as unset so
 * that `FOO=` in a compose file falls back to the default instead of failing as "not a number".
 */
export function parseEnvironment<Schema extends z.ZodObject>(schema: Schema, env: Environment): z.infer<Schema> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new InvalidConfigError(
    result.error.issues.map((issue) => {
      const variable = issue.path.join('.') || '(environment)';
      const received = present[variable];
      return received === undefined || variable.match(/SECRET|PASSWORD|KEY$/)
        ? `${variable}: ${issue.message}`
        : `${variable}: ${issue.message} (got "${received}")`;
    }),
  );
}
