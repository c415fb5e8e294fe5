import { evaluateMarker, markerEnvironmentFor, type MarkerEnvironment } from '../../src/standards/markers.js';
import { normalizeName } from '../../src/standards/names.js';
import { parseRequirement } from '../../src/standards/requirement.js';
import { parseSpecifierSet } from '../../src/standards/specifier.js';
import { parseVersion, type Version } from '../../src/standards/version.js';
import type { CandidateVersion, PackageProvider } from '../../src/resolver/provider.js';
import type { Resolution } from '../../src/resolver/resolve.js';

/** One release in a table: its Requires-Dist lines, or those plus Requires-Python / yanked. */
export type ReleaseSpec = string[] | { deps?: string[]; requiresPython?: string; yanked?: boolean | string };

/** project → version → release. */
export type PackageTable = Record<string, Record<string, ReleaseSpec>>;

interface Release {
  version: Version;
  deps: string[];
  requiresPython: string | null;
  yanked: boolean | string;
}

/** An in-memory index built from a table; it counts every call so tests can check caching. */
export class TableProvider implements PackageProvider {
  readonly releases = new Map<string, Release[]>();
  readonly calls = new Map<string, number>();
  readonly prefetched: string[] = [];
  /** Milliseconds each call takes, to make concurrency observable. */
  delay = 0;
  inFlight = 0;
  maxInFlight = 0;

  constructor(table: PackageTable) {
    for (const [name, versions] of Object.entries(table)) {
      const list: Release[] = Object.entries(versions).map(([text, spec]) => {
        const release = Array.isArray(spec) ? { deps: spec } : spec;
        return { version: parseVersion(text), deps: release.deps ?? [], requiresPython: release.requiresPython ?? null, yanked: release.yanked ?? false };
      });
      list.sort((a, b) => b.version.compare(a.version));
      this.releases.set(normalizeName(name), list);
    }
  }

  #count(key: string): void {
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
  }

  async #wait(): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.delay > 0) await new Promise((r) => setTimeout(r, this.delay));
    else await Promise.resolve();
    this.inFlight--;
  }

  async listVersions(name: string): Promise<CandidateVersion[]> {
    this.#count(`versions:${name}`);
    await this.#wait();
    return (this.releases.get(name) ?? []).map((r) => ({ version: r.version, yanked: r.yanked, requiresPython: r.requiresPython }));
  }

  async getDependencies(name: string, version: Version): Promise<string[]> {
    this.#count(`deps:${name}@${version.toString()}`);
    await this.#wait();
    const release = this.releases.get(name)?.find((r) => r.version.equals(version));
    if (release === undefined) throw new Error(`no release ${name} ${version.toString()}`);
    return release.deps;
  }

  prefetch(name: string, versions: Version[]): void {
    for (const v of versions) this.prefetched.push(`${name}@${v.toString()}`);
  }

  /** Calls made more than once (should be none). */
  repeatedCalls(): string[] {
    return [...this.calls].filter(([, n]) => n > 1).map(([key]) => key);
  }
}

export const LINUX_311: MarkerEnvironment = markerEnvironmentFor({
  implementation: 'cpython',
  pythonFullVersion: '3.11.7',
  sysPlatform: 'linux',
  platformMachine: 'x86_64',
  platformSystem: 'Linux',
  osName: 'posix',
});

export const WINDOWS_311: MarkerEnvironment = markerEnvironmentFor({
  implementation: 'cpython',
  pythonFullVersion: '3.11.7',
  sysPlatform: 'win32',
  platformMachine: 'AMD64',
  platformSystem: 'Windows',
  osName: 'nt',
});

/** A compact view of a resolution for assertions: name → version (extras in brackets). */
export function pins(resolution: Resolution): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pkg of resolution.packages.values()) {
    result[pkg.extras.length > 0 ? `${pkg.name}[${pkg.extras.join(',')}]` : pkg.name] = pkg.version.toString();
  }
  return result;
}

/**
 * Independently checks a resolution against the index: every root requirement
 * and every dependency of every selected release (markers and extras applied)
 * is met, constraints hold, Requires-Python admits the target, and nothing
 * unrequested is selected. Returns the problems found (none for a valid one).
 */
export function checkResolution(
  resolution: Resolution,
  provider: TableProvider,
  roots: readonly string[],
  options: { environment: MarkerEnvironment; pythonVersion: string; constraints?: readonly string[] },
): string[] {
  const problems: string[] = [];
  const python = parseVersion(options.pythonVersion);
  const reached = new Set<string>();
  const need = (from: string, line: string, extras: readonly string[]): void => {
    const req = parseRequirement(line);
    if (req.marker !== null && !evaluateMarker(req.marker, options.environment, { extras })) return;
    const name = normalizeName(req.name);
    reached.add(name);
    const pkg = resolution.packages.get(name);
    if (pkg === undefined) return void problems.push(`${from} needs ${line} but ${name} is not selected`);
    if (!req.specifier.contains(pkg.version, { prereleases: true })) problems.push(`${from} needs ${line} but got ${name} ${pkg.version.toString()}`);
    for (const extra of req.extras) if (!pkg.extras.includes(extra)) problems.push(`${from} needs ${line} but extra ${extra} is not active`);
  };
  for (const line of roots) need('root', line, []);
  for (const pkg of resolution.packages.values()) {
    const release = provider.releases.get(pkg.name)?.find((r) => r.version.equals(pkg.version));
    if (release === undefined) {
      problems.push(`${pkg.name} ${pkg.version.toString()} does not exist`);
      continue;
    }
    if (release.requiresPython !== null && !requiresPythonAdmits(release.requiresPython, python)) {
      problems.push(`${pkg.name} ${pkg.version.toString()} requires Python ${release.requiresPython}`);
    }
    for (const line of release.deps) need(`${pkg.name} ${pkg.version.toString()}`, line, pkg.extras);
  }
  for (const line of options.constraints ?? []) {
    const req = parseRequirement(line);
    if (req.marker !== null && !evaluateMarker(req.marker, options.environment)) continue;
    const pkg = resolution.packages.get(normalizeName(req.name));
    if (pkg !== undefined && !req.specifier.contains(pkg.version, { prereleases: true })) problems.push(`constraint ${line} violated by ${pkg.version.toString()}`);
  }
  for (const name of resolution.packages.keys()) if (!reached.has(name)) problems.push(`${name} is selected but nothing needs it`);
  return problems;
}

function requiresPythonAdmits(requiresPython: string, python: Version): boolean {
  try {
    return parseSpecifierSet(requiresPython).contains(python, { prereleases: true });
  } catch {
    return true;
  }
}
