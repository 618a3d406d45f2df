/** A scrape of an app's `/metrics` (Prometheus text format). */
export class MetricsScrape {
  private constructor(readonly text: string) {}

  static async of(baseUrl: string): Promise<MetricsScrape> {
    const response = await fetch(`${baseUrl}/metrics`);
    if (response.status !== 200) throw new Error(`GET ${baseUrl}/metrics answered ${response.status}`);
    return new MetricsScrape(await response.text());
  }

  /** The value of the series `name` with exactly `labels`, or 0 when the series is absent (a counter not moved yet). */
  value(name: string, labels: Record<string, string> = {}): number {
    const labelText = Object.entries(labels)
      .map(([label, value]) => `${label}="${value}"`)
      .join(',');
    const prefix = labelText === '' ? `${name} ` : `${name}{${labelText}} `;
    const line = this.text.split('\n').find((candidate) => candidate.startsWith(prefix));
    return line === undefined ? 0 : Number(line.slice(prefix.length));
  }

  /** The label sets of every series of `name`, in the order prom-client writes them. */
  labelSets(name: string): Array<Record<string, string>> {
    return this.text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`))
      .map((line) => Object.fromEntries([...line.slice(name.length + 1, line.indexOf('}')).matchAll(/(\w+)="([^"]*)"/g)].map(([, label, value]) => [label, value])));
  }
}

/** `value` of one series at `baseUrl` now. */
export async function metricValue(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return (await MetricsScrape.of(baseUrl)).value(name, labels);
}
