/**
 * The forced-logout levels of one run, smallest first: scenario 3's (3 nodes) and, when it ran, the scale scenario's
 * largest one (its nodes), each with the adapter baseline measured at the same level on as many nodes.
 */
export function logoutLevels(results) {
  const { forcedLogout, scale } = results.scenarios;
  const levels = [];
  for (const system of forcedLogout?.system ?? []) {
    levels.push({ background: system.background, nodes: system.nodes ?? 3, system, adapter: forcedLogout.adapter.find((candidate) => candidate.background === system.background) });
  }
  if (scale) levels.push({ background: scale.sockets, nodes: scale.nodes, system: scale.system.logout, adapter: scale.adapter.logout });
  return levels;
}

/** Targets from issue 16, judged on one run's results; each says whether it is met, by how much, and why. */
export function evaluateTargets(results) {
  const targets = [];
  const { handshake, memory, scale } = results.scenarios;
  const levels = logoutLevels(results);
  if (scale) {
    const system = scale.system;
    const { p50, p99 } = system.logout.latencyMs;
    const allHeld = system.failed === 0 && system.dropped === 0 && system.stillConnected >= system.connected;
    const met = allHeld && system.connected >= 100_000 && p50 <= 50 && p99 <= 50;
    targets.push({
      id: '1',
      name: `Scale: ≥ 100,000 idle authenticated sockets, none dropped, forced-logout p99 ≤ 50 ms (${scale.nodes} gateways)`,
      measured: `${num(system.connected)} sockets held, ${system.failed} never connected (${system.failedAttempts ?? 0} handshakes retried), ${system.dropped} dropped; logout p50 ${ms(p50)} / p99 ${ms(p99)} ms`,
      baseline: `adapter nodes: ${num(scale.adapter.connected)} held, ${scale.adapter.dropped} dropped; disconnectSockets() p50 ${ms(scale.adapter.logout.latencyMs.p50)} / p99 ${ms(scale.adapter.logout.latencyMs.p99)} ms`,
      ratio: null,
      target: '≥ 100,000, 0 dropped, p99 ≤ 50 ms',
      met,
      note:
        (system.connected < 100_000 ? `${num(100_000 - system.connected)} sockets short of 100,000 (this run's size: ${num(scale.sockets)}). ` : '') +
        (system.failedAttempts > 0 ? `Failed handshake attempts (retried, up to 3 per socket): ${JSON.stringify(system.errors)}. ` : '') +
        (allHeld ? '' : `${system.failed} sockets never connected, ${system.dropped} sockets dropped (${JSON.stringify(system.droppedReasons)}), servers count ${num(system.stillConnected)} at the end. `) +
        (p99 > 50 ? `p99 ${ms(p99 - 50)} ms over 50 ms. ` : '') +
        `${scale.sessions.toLocaleString('en-US')} sessions of ${scale.users} users back the sockets. At idle (pings, re-check) the gateways used ` +
        `${pctOf(system.idleCpuPercent.total)} of one core together (${system.idleCpuPercent.nodes.map(pctOf).join(' / ')} each; Redis ${pctOf(system.idleCpuPercent.redis)}) ` +
        `over ${scale.idleWindowS} s; RSS per socket ${kb(system.rssPerSocket)} KB (heap ${kb(system.heapPerSocket)} KB).`,
    });
  }
  if (memory) {
    const { gateway, plain, rssRatio, heapRatio } = memory;
    const met = rssRatio <= 1.25;
    targets.push({
      id: '2a',
      name: `Memory per idle socket at ${memory.sockets.toLocaleString('en-US')} sockets (RSS) vs plain Socket.IO`,
      measured: `${kb(gateway.rssPerSocket)} KB RSS, ${kb(gateway.heapPerSocket)} KB heap`,
      baseline: `${kb(plain.rssPerSocket)} KB RSS, ${kb(plain.heapPerSocket)} KB heap`,
      ratio: rssRatio,
      target: '≤ 1.25×',
      met,
      note:
        (met ? '' : `${pct(rssRatio - 1.25)} over 1.25× (${kb(gateway.rssPerSocket - 1.25 * plain.rssPerSocket)} KB per socket too many). `) +
        `Heap in use ratio ${heapRatio.toFixed(2)}×: each gateway socket also holds its identity and session data, two rooms (user, session), a credential-expiry timer, ` +
        `an event rate limiter and one listener per event handler. The rest is memory the process keeps after the handshakes' garbage: ` +
        `RSS grew ${mib(gateway.after.rssBytes - gateway.before.rssBytes)} MiB (plain ${mib(plain.after.rssBytes - plain.before.rssBytes)}), ` +
        `heap in use ${mib(gateway.after.heapUsed - gateway.before.heapUsed)} (plain ${mib(plain.after.heapUsed - plain.before.heapUsed)}), ` +
        `heap reserved by V8 ${mib(gateway.after.heapTotal - gateway.before.heapTotal)} (plain ${mib(plain.after.heapTotal - plain.before.heapTotal)}), ` +
        `of which young generation ${mib(gateway.after.newSpace - gateway.before.newSpace)} (plain ${mib(plain.after.newSpace - plain.before.newSpace)}): ` +
        `V8 grows it while the handshakes allocate and keeps it, a cost per process that this delta spreads over the sockets.`,
    });
  }
  if (scale) {
    const { system, adapter } = scale;
    const met = system.rssPerSocket <= 16 * 1024;
    targets.push({
      id: '2b',
      name: `Memory per idle socket at ${scale.sockets.toLocaleString('en-US')} sockets (RSS, ${scale.nodes} gateways)`,
      measured: `${kb(system.rssPerSocket)} KB RSS, ${kb(system.heapPerSocket)} KB heap`,
      baseline: `plain Socket.IO + adapter: ${kb(adapter.rssPerSocket)} KB RSS, ${kb(adapter.heapPerSocket)} KB heap`,
      ratio: system.rssPerSocket / adapter.rssPerSocket,
      target: '≤ 16 KB',
      met,
      note:
        (met ? `${kb(16 * 1024 - system.rssPerSocket)} KB under 16 KB. ` : `${kb(system.rssPerSocket - 16 * 1024)} KB over 16 KB. `) +
        `Sum of the ${scale.nodes} gateways' RSS deltas (each at rest, as scenario 2) / ${num(system.connected)} sockets: ` +
        `${system.rssBefore.map(mib).join(' / ')} → ${system.rssAfter.map(mib).join(' / ')} MiB. The ratio column is against plain Socket.IO nodes with the Redis adapter, measured the same way.`,
    });
  }
  if (handshake) {
    const { gateway, plain, userKeyObject, userPem, ratio, serverCpuRatio, userWrittenRatio, userWrittenPemRatio, userWrittenServerCpuRatio } = handshake;
    const cpu = (row, withRedis = true) => `${ms(row.cpuMsPerHandshake.server)} ms${withRedis ? ` + ${ms(row.cpuMsPerHandshake.redis)} ms Redis` : ''}`;
    const metPlain = ratio >= 0.8;
    targets.push({
      id: '3a',
      name: 'Handshake throughput vs plain Socket.IO',
      measured: `${num(gateway.perSecond)} conn/s`,
      baseline: `${num(plain.perSecond)} conn/s`,
      ratio,
      target: '≥ 0.80×',
      met: metPlain,
      note:
        (metPlain ? '' : `${pct(0.8 - ratio)} short of 0.80× (needs ${num(0.8 * plain.perSecond - gateway.perSecond)} conn/s more). `) +
        `Per handshake the gateway spends ${cpu(gateway)}, plain Socket.IO ${cpu(plain, false)}; the load generators share the same cores ` +
        `(${ms(gateway.cpuMsPerHandshake.loadGenerators)} ms per connection). Server CPU alone would allow ${serverCpuRatio.toFixed(2)}×.`,
    });
    if (userKeyObject) {
      const metUser = userWrittenRatio >= 1;
      targets.push({
        id: '3b',
        name: 'Handshake throughput vs the user-written baseline (jsonwebtoken with a KeyObject + one HGETALL in io.use)',
        measured: `${num(gateway.perSecond)} conn/s`,
        baseline: `${num(userKeyObject.perSecond)} conn/s (PEM string key: ${num(userPem.perSecond)}, ${userWrittenPemRatio.toFixed(2)}×)`,
        ratio: userWrittenRatio,
        target: '≥ 1.00×',
        met: metUser,
        note:
          (metUser ? '' : `${pct(1 - userWrittenRatio)} short of 1.00× (needs ${num(userKeyObject.perSecond - gateway.perSecond)} conn/s more). `) +
          `Per handshake: gateway ${cpu(gateway)}, user-written ${cpu(userKeyObject)} (PEM: ${cpu(userPem)}); server CPU with Redis alone would allow ${userWrittenServerCpuRatio.toFixed(2)}×. ` +
          'The gateway does more in that time: it proves and touches the session, counts the user\'s sockets for the per-user cap (none set here) and writes the registry entry in one script, and arms the credential-expiry timer.',
      });
    }
  }
  if (levels.length > 0) {
    const rows = levels.map((level) => ({
      background: level.background,
      p50: level.system.latencyMs.p50,
      p99: level.system.latencyMs.p99,
      adapterP50: level.adapter?.latencyMs.p50,
      adapterP99: level.adapter?.latencyMs.p99,
      httpP50: level.system.httpMs.p50,
      adapterHttpP50: level.adapter?.httpMs.p50,
      ratio50: level.system.latencyMs.p50 / level.adapter?.latencyMs.p50,
      ratio99: level.system.latencyMs.p99 / level.adapter?.latencyMs.p99,
      publishedP50: level.system.publishedMs?.p50 ?? null,
      adapterPublishedP50: level.adapter?.publishedMs?.p50 ?? null,
      afterMessageP50: level.system.afterMessageMs?.p50 ?? null,
      adapterAfterMessageP50: level.adapter?.afterMessageMs?.p50 ?? null,
    }));
    const missed = rows.filter((row) => !(row.ratio50 <= 1 && row.ratio99 <= 1));
    const met = missed.length === 0;
    targets.push({
      id: '4',
      name: `Forced-logout p50 and p99 vs Socket.IO disconnectSockets() (levels ${rows.map((row) => short(row.background)).join(' / ')})`,
      measured: rows.map((row) => `${ms(row.p50)}/${ms(row.p99)}`).join(' · ') + ' ms (p50/p99)',
      baseline: rows.map((row) => `${ms(row.adapterP50)}/${ms(row.adapterP99)}`).join(' · ') + ' ms',
      ratio: Math.max(...rows.map((row) => Math.max(row.ratio50, row.ratio99))),
      target: '≤ 1.00× (p50 and p99) at every level',
      met,
      note:
        `Ratios p50/p99: ${rows.map((row) => `${short(row.background)} ${row.ratio50.toFixed(2)}×/${row.ratio99.toFixed(2)}×`).join(', ')} (ratio column: the worst). ` +
        (met ? '' : `Missed at ${missed.map((row) => short(row.background)).join(', ')}. `) +
        `The auth service answers the logout in ${rows.map((row) => ms(row.httpP50)).join(' / ')} ms (p50), the adapter node's bare handler in ` +
        `${rows.map((row) => ms(row.adapterHttpP50)).join(' / ')} ms. Split where the probe saw the message published: call → message ` +
        `${rows.map((row) => ms(row.publishedP50)).join(' / ')} ms p50 (adapter ${rows.map((row) => ms(row.adapterPublishedP50)).join(' / ')}), ` +
        `message → last socket disconnected ${rows.map((row) => ms(row.afterMessageP50)).join(' / ')} ms (adapter ${rows.map((row) => ms(row.adapterAfterMessageP50)).join(' / ')}). ` +
        'Before any gateway hears of it, the logout crosses Express, Nest and passport ' +
        '(ES256 verify) and one Redis script that proves the caller\'s session, deletes it and publishes; the baseline publishes at once, unauthenticated.',
    });
  }
  return targets;
}

/** The Markdown report: machine, targets table, then one section per scenario. */
export function renderMarkdown(results, chartFile) {
  const { machine, scenarios } = results;
  const lines = [];
  lines.push(`# sessionwire benchmark, ${results.startedAt}`, '');
  lines.push(
    `Machine: **${machine.nproc} CPUs** (\`nproc\`; ${machine.cpuModel}), **${gib(machine.memoryBytes)} GiB** memory, ` +
      `**Node ${machine.node}**, ${machine.os}, Redis ${machine.redis}. Load average ${machine.loadAverageStart.join(' ')} at start, ` +
      `${machine.loadAverageEnd.join(' ')} at the end (other work on the machine shares these cores). ` +
      `Mode: **${results.mode}**, ${Math.round(results.durationS)} s. Method and how to read this: [bench/README.md](../README.md).`,
    '',
  );
  if (results.source) {
    const dirty = results.source.uncommitted.length ? ` plus uncommitted changes to ${results.source.uncommitted.map((path) => `\`${path}\``).join(', ')}` : '';
    lines.push(`Code: commit \`${results.source.commit}\`${dirty}.`, '');
  }
  lines.push('Settings that differ from the defaults, for every scenario unless noted:', '');
  for (const setting of results.settings) lines.push(`- ${setting}`);
  lines.push('', '## Targets', '');
  lines.push('| # | what | sessionwire | baseline (same run) | ratio | target | met | by how much, and why |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const target of results.targets) {
    lines.push(
      `| ${target.id} | ${target.name} | ${target.measured} | ${target.baseline} | ${target.ratio === null ? '–' : `${target.ratio.toFixed(2)}×`} | ${target.target} | ${target.met ? '**yes**' : '**no**'} | ${target.note} |`,
    );
  }

  if (scenarios.handshake) {
    const hs = scenarios.handshake;
    lines.push('', '## 1. Handshake throughput', '', hs.method, '');
    lines.push('| server | round | conn/s | handshake p50 / p99 ms | server CPU ms/conn | Redis CPU ms/conn | load generators CPU ms/conn | failed |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
    const labels = {
      plain: 'plain Socket.IO (no auth)',
      userPem: 'user-written: jsonwebtoken, PEM string key + HGETALL',
      userKeyObject: 'user-written: jsonwebtoken, KeyObject + HGETALL',
      gateway: 'gateway (full auth)',
    };
    for (const kind of Object.keys(labels).filter((name) => hs.rounds[name])) {
      hs.rounds[kind].forEach((round, index) => {
        lines.push(
          `| ${labels[kind]} | ${index + 1} | ${num(round.perSecond)} | ${ms(round.latencyMs.p50)} / ${ms(round.latencyMs.p99)} | ` +
            `${ms(round.cpuMsPerHandshake.server)} | ${ms(round.cpuMsPerHandshake.redis)} | ${ms(round.cpuMsPerHandshake.loadGenerators)} | ${round.failed} |`,
        );
      });
    }
  }

  if (scenarios.memory) {
    const mem = scenarios.memory;
    lines.push('', '## 2. Memory per idle authenticated socket', '', mem.method, '');
    lines.push(
      '| server | sockets | RSS before → after (MiB) | RSS per socket | heap in use before → after (MiB) | heap per socket | heap reserved before → after (MiB) | of which young generation (MiB) | external before → after (MiB) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const kind of ['plain', 'gateway']) {
      const row = mem[kind];
      lines.push(
        `| ${kind === 'plain' ? 'plain Socket.IO' : 'gateway'} | ${mem.sockets.toLocaleString('en-US')} | ${mib(row.before.rssBytes)} → ${mib(row.after.rssBytes)} | ${kb(row.rssPerSocket)} KB | ` +
          `${mib(row.before.heapUsed)} → ${mib(row.after.heapUsed)} | ${kb(row.heapPerSocket)} KB | ${mib(row.before.heapTotal)} → ${mib(row.after.heapTotal)} | ` +
          `${mib(row.before.newSpace)} → ${mib(row.after.newSpace)} | ${mib(row.before.external)} → ${mib(row.after.external)} |`,
      );
    }
  }

  const levels = logoutLevels(results);
  if (levels.length > 0) {
    const fl = scenarios.forcedLogout;
    const method = fl ? fl.method : '';
    const scaleNote = scenarios.scale ? ` The ${short(scenarios.scale.sockets)} level comes from scenario 6 (${scenarios.scale.nodes} nodes, one probe socket per node).` : '';
    lines.push('', '## 3. Forced-logout latency', '', `${method}${scaleNote}`.trim(), '', `![forced-logout latency percentiles](${chartFile})`, '');
    lines.push(
      '| other sockets | nodes | path | p50 ms | p90 ms | p99 ms | max ms | HTTP answered p50 ms | call → message p50 / p99 ms | message → last disconnect p50 / p99 ms | n | p50 / p99 vs adapter (≤ 1.00×) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const level of levels) {
      const part = (summary) => (summary ? `${ms(summary.p50)} / ${ms(summary.p99)}` : '–');
      const row = (label, latency, probe, verdict = '') =>
        `| ${level.background.toLocaleString('en-US')} | ${level.nodes} | ${label} | ${ms(latency.p50)} | ${ms(latency.p90)} | ${ms(latency.p99)} | ${ms(latency.max)} | ` +
        `${probe ? ms(probe.httpMs.p50) : '–'} | ${part(probe?.publishedMs)} | ${part(probe?.afterMessageMs)} | ${latency.count} | ${verdict} |`;
      const ratio50 = level.system.latencyMs.p50 / level.adapter.latencyMs.p50;
      const ratio99 = level.system.latencyMs.p99 / level.adapter.latencyMs.p99;
      lines.push(row('sessionwire (POST /auth/logout)', level.system.latencyMs, level.system, `${ratio50.toFixed(2)}× / ${ratio99.toFixed(2)}× ${ratio50 <= 1 && ratio99 <= 1 ? 'met' : 'not met'}`));
      lines.push(row('(b) Socket.IO adapter disconnectSockets()', level.adapter.latencyMs, level.adapter));
      lines.push(row('(a) Redis PUBLISH → subscriber', level.system.floorMs, null));
    }
    lines.push(
      '',
      'The call → message and message → last disconnect columns split each latency where a subscriber of the probe process saw the revocation published (`user-logged-out` for sessionwire, the adapter\'s request for the baseline), all on the probe\'s clock.',
      '',
      'Server side, from each gateway\'s own `sessionwire_gateway_logout_propagation_seconds` (message `at` → last local socket closed; `at` is the auth service\'s clock in whole milliseconds, stamped before it sends the script, so this also counts the send, Redis and both clocks\' rounding; p50/p99 interpolated inside the histogram buckets, the first of which ends at 1 ms, so only as precise as they are), with what its event loop went through during the probes: the largest event-loop delay (`nodejs_eventloop_lag_max_seconds`, prom-client\'s delay monitor, reset at each scrape) and the re-check passes that ran (`sessionwire_gateway_recheck_duration_seconds`):',
      '',
    );
    lines.push('| other sockets | node | messages | mean ms | p50 ms | p99 ms | largest event-loop delay ms | re-check passes (mean ms) |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const level of levels) {
      for (const node of level.system.serverSide) {
        const rechecks = node.recheckPasses === undefined ? '–' : `${node.recheckPasses}${node.recheckMeanMs === null ? '' : ` (${ms(node.recheckMeanMs)})`}`;
        lines.push(`| ${level.background.toLocaleString('en-US')} | ${node.nodeId} | ${node.count} | ${ms(node.meanMs)} | ${ms(node.p50Ms)} | ${ms(node.p99Ms)} | ${ms(node.eventLoopLagMaxMs ?? null)} | ${rechecks} |`);
      }
    }
    const adapterLoops = levels.filter((level) => level.adapter.eventLoopLagMaxMs);
    if (adapterLoops.length > 0) {
      lines.push('', `The adapter nodes' largest event-loop delay during their own probes (ms, per node): ${adapterLoops.map((level) => `${level.background.toLocaleString('en-US')}: ${level.adapter.eventLoopLagMaxMs.map(ms).join(' / ')}`).join('; ')}.`);
    }
    const errors = levels.flatMap((level) => [level.system, level.adapter]).filter((entry) => Object.keys(entry.errors).length > 0);
    if (errors.length > 0) lines.push('', `Probe errors: ${errors.map((entry) => `${entry.background}: ${JSON.stringify(entry.errors)}`).join('; ')}`);
  }

  if (scenarios.recheck) {
    const rc = scenarios.recheck;
    lines.push('', '## 4. Revocation re-check sweep', '', rc.method, '');
    lines.push('| sockets | sessions | pass duration p50 / max ms | EXISTS per pass | HGETALL per pass | all Redis commands per pass* | Redis CPU per pass* |', '| --- | --- | --- | --- | --- | --- | --- |');
    lines.push(
      `| ${rc.sockets.toLocaleString('en-US')} | ${rc.sessions?.toLocaleString('en-US')} | ${ms(rc.durationMs.p50)} / ${ms(rc.durationMs.max)} | ${num(rc.perPass.exists)} | ${num(rc.perPass.hgetall)} | ` +
        `${num(rc.perPass.allCommands)} | ${ms(rc.perPass.redisCpuMs)} ms |`,
    );
    lines.push('', '\\* between the ends of two passes, so it includes the node\'s heartbeat and dead-node sweep (a handful of commands) and, for the CPU, whatever else Redis served then (the idle auth service).');
  }

  if (scenarios.auth) {
    const au = scenarios.auth;
    lines.push('', '## 5. Login and refresh throughput', '', `${au.method} argon2id: ${au.argon2.memoryKiB} KiB, t=${au.argon2.timeCost}, p=${au.argon2.parallelism}.`, '');
    lines.push('| request | concurrent clients | per second | p50 ms | p99 ms | auth CPU ms/request | Redis CPU ms/request | errors |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const kind of ['login', 'refresh']) {
      const row = au[kind];
      lines.push(
        `| ${kind} | ${au.concurrency} | ${num(row.perSecond)} | ${ms(row.latency.p50)} | ${ms(row.latency.p99)} | ${ms(row.cpuMsPerRequest.auth)} | ${ms(row.cpuMsPerRequest.redis)} | ${Object.keys(row.errors).length ? JSON.stringify(row.errors) : 0} |`,
      );
    }
  }

  if (scenarios.scale) {
    const sc = scenarios.scale;
    lines.push('', '## 6. Scale', '', sc.method, '');
    lines.push(
      '| servers | sockets held | never connected (attempts retried) | dropped | connected/s | RSS before → after (MiB each) | RSS per socket | heap per socket | idle CPU % of a core (each; total) | Redis idle CPU % | forced logout p50 / p99 ms |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const [label, run] of [[`${sc.nodes} × plain Socket.IO + Redis adapter`, sc.adapter], [`${sc.nodes} × gateway`, sc.system]]) {
      lines.push(
        `| ${label} | ${num(run.connected)} | ${run.failed} (${run.failedAttempts ?? 0}) | ${run.dropped} | ${num(run.connectPerSecond)} | ${run.rssBefore.map(mib).join(' / ')} → ${run.rssAfter.map(mib).join(' / ')} | ` +
          `${kb(run.rssPerSocket)} KB | ${kb(run.heapPerSocket)} KB | ${run.idleCpuPercent.nodes.map((value) => value.toFixed(1)).join(' / ')}; ${run.idleCpuPercent.total.toFixed(1)} | ` +
          `${run.idleCpuPercent.redis.toFixed(1)} | ${ms(run.logout.latencyMs.p50)} / ${ms(run.logout.latencyMs.p99)} |`,
      );
    }
    const failures = [sc.adapter, sc.system].filter((run) => run.failedAttempts > 0 || run.dropped > 0);
    for (const run of failures) lines.push('', `${run.nodes[0]}…: handshake errors ${JSON.stringify(run.errors)}; dropped ${JSON.stringify(run.droppedReasons)}.`);
  }
  lines.push('');
  return lines.join('\n');
}

const num = (value) => (value === null || value === undefined || Number.isNaN(value) ? '–' : Math.round(value).toLocaleString('en-US'));
const ms = (value) => (value === null || value === undefined || Number.isNaN(value) ? '–' : value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
const kb = (bytes) => (bytes / 1024).toFixed(1);
const mib = (bytes) => (bytes / 1024 / 1024).toFixed(0);
const gib = (bytes) => (bytes / 1024 ** 3).toFixed(1);
const pct = (fraction) => `${Math.round(fraction * 100)} points`;
const pctOf = (percent) => `${percent.toFixed(1)}%`;
const short = (count) => (count >= 1000 ? `${count / 1000}k` : String(count));
