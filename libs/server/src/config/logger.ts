type LogMethod = (objectOrMessage: object | string, message?: string) => void;

/** A pino-compatible logger: `logger.warn({ socketId }, 'message')` or `logger.warn('message')`. */
export interface SessionwireLogger {
  debug?: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/** Warnings and errors on the console, prefixed; info and debug dropped. */
export const consoleLogger: SessionwireLogger = {
  info: () => undefined,
  warn: (objectOrMessage, message) => console.warn('[sessionwire]', ...(message === undefined ? [objectOrMessage] : [message, objectOrMessage])),
  error: (objectOrMessage, message) => console.error('[sessionwire]', ...(message === undefined ? [objectOrMessage] : [message, objectOrMessage])),
};
