import { Resvg } from '@resvg/resvg-js';

const SERIES = [
  { key: 'system', label: 'sessionwire: POST /auth/logout → last socket closed', color: '#2563eb' },
  { key: 'adapter', label: 'Socket.IO redis-adapter disconnectSockets()', color: '#f59e0b' },
  { key: 'floor', label: 'Redis PUBLISH → subscriber (floor)', color: '#9ca3af' },
];
const PERCENTILES = ['p50', 'p90', 'p99', 'max'];
const PANEL = { width: 300, height: 260, top: 70, left: 60, gap: 24 };

/**
 * Forced-logout latency percentiles as a PNG: one panel per background-socket level, p50/p90/p99/max for
 * each of the three paths, on a log scale (the floor is ~100× faster than either cross-node path). Drawn as
 * SVG and rasterised by resvg (prebuilt binary from npm, no browser).
 */
export function latencyChartPng({ levels, title }) {
  const panels = levels.length;
  const width = PANEL.left + panels * (PANEL.width + PANEL.gap) + 20;
  const height = PANEL.top + PANEL.height + 110;
  const values = levels.flatMap((level) => SERIES.flatMap((series) => PERCENTILES.map((p) => level[series.key]?.[p] ?? null))).filter((v) => v > 0);
  const minLog = Math.floor(Math.log10(Math.min(...values, 1)));
  const maxLog = Math.ceil(Math.log10(Math.max(...values, 10)));
  const y = (ms) => PANEL.top + PANEL.height - ((Math.log10(ms) - minLog) / (maxLog - minLog)) * PANEL.height;

  const parts = [
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(width / 2, 28, title, { size: 16, anchor: 'middle', weight: 'bold' }),
    text(width / 2, 48, 'milliseconds, log scale; lower is better', { size: 12, anchor: 'middle', color: '#555' }),
  ];
  levels.forEach((level, index) => {
    const x0 = PANEL.left + index * (PANEL.width + PANEL.gap);
    parts.push(text(x0 + PANEL.width / 2, PANEL.top - 8, `${level.background.toLocaleString('en-US')} other sockets${level.nodes ? `, ${level.nodes} nodes` : ''}`, { size: 13, anchor: 'middle', weight: 'bold' }));
    for (let exponent = minLog; exponent <= maxLog; exponent++) {
      const ty = y(10 ** exponent);
      parts.push(`<line x1="${x0}" y1="${ty}" x2="${x0 + PANEL.width}" y2="${ty}" stroke="#e5e7eb"/>`);
      if (index === 0) parts.push(text(x0 - 6, ty + 4, formatMs(10 ** exponent), { size: 11, anchor: 'end', color: '#555' }));
    }
    parts.push(`<line x1="${x0}" y1="${PANEL.top + PANEL.height}" x2="${x0 + PANEL.width}" y2="${PANEL.top + PANEL.height}" stroke="#111"/>`);
    const groupWidth = PANEL.width / PERCENTILES.length;
    const barWidth = (groupWidth - 14) / SERIES.length;
    PERCENTILES.forEach((p, pIndex) => {
      const gx = x0 + pIndex * groupWidth + 7;
      parts.push(text(gx + (groupWidth - 14) / 2, PANEL.top + PANEL.height + 16, p, { size: 12, anchor: 'middle' }));
      SERIES.forEach((series, sIndex) => {
        const value = level[series.key]?.[p];
        if (!(value > 0)) return;
        const top = y(Math.max(value, 10 ** minLog));
        const bx = gx + sIndex * barWidth;
        parts.push(`<rect x="${bx}" y="${top}" width="${barWidth - 1}" height="${PANEL.top + PANEL.height - top}" fill="${series.color}"/>`);
        if (series.key !== 'floor') parts.push(text(bx + barWidth / 2, top - 3, formatMs(value), { size: 8, anchor: 'middle', color: '#333' }));
      });
    });
  });
  SERIES.forEach((series, index) => {
    const ly = PANEL.top + PANEL.height + 42 + index * 18;
    parts.push(`<rect x="${PANEL.left}" y="${ly - 10}" width="12" height="12" fill="${series.color}"/>`);
    parts.push(text(PANEL.left + 18, ly, series.label, { size: 12 }));
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
}

function text(x, y, content, { size = 12, anchor = 'start', weight = 'normal', color = '#111' } = {}) {
  const escaped = String(content).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return `<text x="${x}" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="${size}" font-weight="${weight}" fill="${color}" text-anchor="${anchor}">${escaped}</text>`;
}

function formatMs(ms) {
  if (ms >= 100) return `${Math.round(ms)}`;
  if (ms >= 10) return ms.toFixed(0);
  if (ms >= 1) return ms.toFixed(1);
  return ms.toFixed(2);
}
