import { readFileSync } from 'node:fs';

/** One line of a self-time ranking. */
export interface ProfileEntry {
  label: string;
  selfPercent: number;
}

/** Where the server's CPU went during a profiled run. */
export interface ProfileSummary {
  samples: number;
  /** Functions ranked by self time. */
  functions: ProfileEntry[];
  /** Self time grouped by where the code lives (a package, node internals, paved's src/, GC, idle). */
  areas: ProfileEntry[];
}

interface CpuProfileNode {
  id: number;
  hitCount?: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) by self time, the
 * quickest way to see what dominates each request without a viewer.
 */
export function summarizeCpuProfile(path: string, top = 20): ProfileSummary {
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const nodes = (typeof raw === 'object' && raw !== null && Array.isArray((raw as { nodes?: unknown }).nodes) ? (raw as { nodes: CpuProfileNode[] }).nodes : []);
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  for (const node of nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
    const area = areaOf(functionName, url);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
  }
  const rank = (m: Map<string, number>, limit: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([label, hits]) => ({ label, selfPercent: total === 0 ? 0 : (100 * hits) / total }));
  return { samples: total, functions: rank(byFunction, top), areas: rank(byArea, top) };
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

function areaOf(functionName: string, url: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)' || functionName === '(idle)' || functionName === '(program)') return functionName;
    return '(native / V8 builtins)';
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`;
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1).split('/').slice(0, 3).join('/');
  return url;
}

/** The report lines of a profile summary: self time by area, then the top functions. */
export function profileSummaryLines(title: string, summary: ProfileSummary, counts: { areas: number; functions: number }): string[] {
  const lines = [`${title} (${summary.samples} samples), self time:`];
  for (const a of summary.areas.slice(0, counts.areas)) lines.push(`  ${a.selfPercent.toFixed(1).padStart(5)}%  ${a.label}`);
  lines.push('  top functions:');
  for (const f of summary.functions.slice(0, counts.functions)) lines.push(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.label}`);
  return lines;
}
