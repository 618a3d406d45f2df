// Suites start real servers and processes; on a loaded 2-core machine that can take several seconds.
jest.setTimeout(30_000);
