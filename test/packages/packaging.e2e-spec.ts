import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { packPackage, workspacePackages } from '../../scripts/lib/packages.mjs';

interface Manifest {
  name: string;
  version: string;
  license?: string;
  private?: boolean;
  types?: string;
  files?: string[];
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** What a tarball may hold: the build output, the docs a registry page shows, and the manifest. */
const PUBLISHED = /^(dist\/.+|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/;

/** Every file path named by `exports` (conditions nested at any depth), without the `./` prefix. */
function exportedFiles(exports: unknown): string[] {
  if (typeof exports === 'string') return exports.includes('*') ? [] : [exports.replace(/^\.\//, '')];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.values(exports).flatMap(exportedFiles);
}

/** The bare module specifiers a built file imports or requires (relative imports excluded). */
function bareImports(source: string): string[] {
  const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((match) => match[1]);
  return specifiers.filter((specifier) => !specifier.startsWith('.'));
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const packages = workspacePackages().map(({ dir, manifest }) => ({ dir, manifest: manifest as unknown as Manifest }));

describe.each(packages.map((pkg) => [pkg.manifest.name, pkg] as const))('package %s', (_name, { dir, manifest }) => {
  let files: string[];

  beforeAll(async () => {
    const report = await packPackage(dir);
    files = report.files.map((file) => file.path).sort();
  }, 60_000);

  it('is publishable: scoped name, 0.x version, MIT, not private, types and exports declared', () => {
    expect(manifest.name).toMatch(/^@sessionwire\/[a-z-]+$/);
    expect(manifest.version).toMatch(/^0\.\d+\.\d+$/);
    expect(manifest.license).toBe('MIT');
    expect(manifest.private).toBeUndefined();
    expect(manifest.types).toBeDefined();
    expect(Object.keys(manifest.exports ?? {})).toContain('.');
    expect(manifest.files).toBeDefined();
  });

  it('packs only its build output, README, LICENSE and manifest, and every exported file is in it', () => {
    expect(files.filter((path) => !PUBLISHED.test(path))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    const exported = [...new Set([...exportedFiles(manifest.exports), manifest.types?.replace(/^\.\//, '')])].filter(Boolean);
    expect(exported.filter((path) => !files.includes(path as string))).toEqual([]);
  });

  it('imports nothing at run time or in its types but Node built-ins and its declared (peer) dependencies', async () => {
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), manifest.name]);
    const builtins = new Set(builtinModules);
    const undeclared: string[] = [];
    for (const path of files.filter((file) => /^dist\/.+\.(m|c)?(js|d\.ts|d\.mts|d\.cts)$/.test(file))) {
      const source = await readFile(join(dir, path), 'utf8');
      for (const specifier of bareImports(source)) {
        const name = packageOf(specifier.replace(/^node:/, ''));
        if (!specifier.startsWith('node:') && !builtins.has(name) && !declared.has(name)) undeclared.push(`${path}: ${specifier}`);
      }
    }
    expect(undeclared).toEqual([]);
  });
});
