import { isRedisUnavailableError } from './redis-errors';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('isRedisUnavailableError', () => {
  it.each([
    new Error('Connection is closed.'),
    new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    new Error('Command timed out'),
    withCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED'),
    named('MaxRetriesPerRequestError', 'Reached the max retries per request limit'),
    named('ReplyError', 'LOADING Redis is loading the dataset in memory'),
    named('ReplyError', 'READONLY You cannot write against a read only replica.'),
  ])('treats "%s" as unavailable (503)', (error) => {
    expect(isRedisUnavailableError(error)).toBe(true);
  });

  it.each([new Error('boom'), named('ReplyError', 'ERR wrong number of arguments'), 'Connection is closed.', undefined])(
    'treats %p as a bug (500)',
    (error) => {
      expect(isRedisUnavailableError(error)).toBe(false);
    },
  );
});
