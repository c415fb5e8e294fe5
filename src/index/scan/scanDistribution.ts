/**
 * The malware scanner: reads a wheel or sdist (never runs it), decides which of its files run at
 * install, at import or only when called, and passes each Python file through the rule families
 * of `rules/`. Every finding names the rule, the member and the line.
 *
 * The scanner describes; it does not decide. Severities are graded by where code runs, so that a
 * library calling `subprocess.run` or `requests.get` stays at `info`/`low`, while the same calls
 * in `setup.py` or a `.pth` file, or a decode-and-exec chain anywhere, reach `high`/`critical`,
 * where the policy engine quarantines by default.
 */
import { posix } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parseCoreMetadataBytes, type CoreMetadata } from '../../standards/coreMetadata.js';
import { invalidArchive, type ArchiveKind } from '../upload/archiveLimits.js';
import { atLeast, compareSeverity, makeExcerpt, type Finding, type FindingSeverity } from './findings.js';
import { readPythonSource, type LogicalLine, type PythonSource } from './pythonSource.js';
import { readTarMembers, readZipMembers, type ArchiveRead, type ChooseBytes, type ReadBudget, type ReadMember } from './readScanMembers.js';
import { combineHits } from './rules/combinations.js';
import { credentialRule } from './rules/credentials.js';
import { decodeExecRule } from './rules/decodeExec.js';
import { DROPPED_BINARY_RULES, droppedBinaryRule, executableFormat } from './rules/droppedBinaries.js';
import { hostRule } from './rules/hosts.js';
import { metadataRule, type InstallHooks } from './rules/metadata.js';
import { networkRule } from './rules/network.js';
import { obfuscationRule } from './rules/obfuscation.js';
import { processRule } from './rules/process.js';
import type { CodeContext, RuleHit, SourceRule, SourceUnderScan } from './rules/ruleTypes.js';

/** Changes whenever rules change, so stored verdicts can be re-evaluated. */
export const SCANNER_VERSION = 'paved-scan/1';

/** Rule ids of findings about the scan itself rather than the code. */
export const SCAN_LIMIT_RULES = {
  /** A file was larger than `maxScanBytesPerFile`; only its beginning was scanned. */
  fileTruncated: 'scan-file-truncated',
  /** The archive held more source than `maxTotalScanBytes`; some files were not scanned. */
  budgetExhausted: 'scan-budget-exhausted',
} as const;

/** Bounds on how much one scan reads. */
export interface ScanOptions {
  /** Most bytes read from one member (default 4 MiB); the rest is not scanned and says so. */
  maxScanBytesPerFile?: number;
  /** Most bytes read from one archive (default 256 MiB). */
  maxTotalScanBytes?: number;
}

/** What a scan found, and how much it looked at. */
export interface ScanResult {
  /** Most severe first. */
  findings: Finding[];
  /** Members read and scanned (Python sources, `.pth`, config and metadata files). */
  scannedFiles: number;
  /** Bytes of those members. */
  scannedBytes: number;
  scannerVersion: string;
}

const DEFAULT_MAX_FILE = 4 * 1024 * 1024;
const DEFAULT_MAX_TOTAL = 256 * 1024 * 1024;
const MAGIC_BYTES = 8;
const METADATA_CAP = 8 * 1024 * 1024;

const SOURCE_RULES: SourceRule[] = [networkRule, decodeExecRule, processRule, credentialRule, hostRule, obfuscationRule, droppedBinaryRule];
const CONFIG_RULES: SourceRule[] = [hostRule, credentialRule, networkRule];

type Layout = { kind: 'wheel' } | { kind: 'sdist'; format: 'zip' | 'tar.gz' | 'tar' };

function layoutOf(filename: string): Layout {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.whl')) return { kind: 'wheel' };
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return { kind: 'sdist', format: 'tar.gz' };
  if (lower.endsWith('.tar')) return { kind: 'sdist', format: 'tar' };
  if (lower.endsWith('.zip')) return { kind: 'sdist', format: 'zip' };
  throw invalidArchive('sdist', `${filename.slice(0, 120)} cannot be scanned: the scanner reads .whl, .tar.gz, .tgz, .tar and .zip files`);
}

const PYTHON_FILE = /\.(?:py|pyw|pth)$/;

/** Path with a wheel's `.data/purelib|platlib/` prefix removed: where the file lands in site-packages. */
function installedPath(path: string): string {
  return path.replace(/^[^/]+\.data\/(?:purelib|platlib)\//, '');
}

function isWheelScript(path: string): boolean {
  return /^[^/]+\.data\/scripts\/[^/]+$/.test(path);
}

function isMetadataFile(layout: Layout, path: string): boolean {
  return layout.kind === 'wheel' ? /^[^/]+\.dist-info\/METADATA$/.test(path) : /^[^/]+\/PKG-INFO$/.test(path);
}

function isSdistConfig(path: string): boolean {
  return /^[^/]+\/(?:setup\.cfg|pyproject\.toml)$/.test(path);
}

function chooser(layout: Layout, maxFile: number): ChooseBytes {
  return (path) => {
    if (isMetadataFile(layout, path)) return METADATA_CAP;
    if (PYTHON_FILE.test(path)) return maxFile;
    if (layout.kind === 'wheel') return isWheelScript(path) ? maxFile : 0;
    if (isSdistConfig(path)) return maxFile;
    // Sdists are small and rarely hold binaries; their leading bytes tell us if one does.
    return MAGIC_BYTES;
  };
}

/** The in-tree build back-end directories an sdist's pyproject.toml declares (`backend-path`). */
function backendDirs(top: string, pyproject: ReadMember | undefined): string[] {
  if (pyproject === undefined) return [];
  try {
    const doc = parseToml(pyproject.data.toString('utf8')) as { 'build-system'?: { 'backend-path'?: unknown } };
    const paths = doc['build-system']?.['backend-path'];
    if (!Array.isArray(paths)) return [];
    return paths.filter((p): p is string => typeof p === 'string').map((p) => posix.normalize(posix.join(top, p)).replace(/\/$/, ''));
  } catch {
    return [];
  }
}

function contextOf(layout: Layout, path: string, backends: string[]): CodeContext {
  if (path.endsWith('.pth')) return 'install';
  if (layout.kind === 'wheel') {
    if (isWheelScript(path)) return 'import';
    const segments = installedPath(path).split('/');
    if (segments.length === 1 || (segments.length === 2 && segments[1] === '__init__.py')) return 'import';
    return 'module';
  }
  const segments = path.split('/');
  if (segments.length === 2 && segments[1] === 'setup.py') return 'install';
  if (backends.some((dir) => dir === '.' || path.startsWith(`${dir}/`) || (dir === segments[0] && segments.length === 2))) return 'install';
  const inner = segments[1] === 'src' ? segments.slice(2) : segments.slice(1);
  if (inner.length === 2 && inner[1] === '__init__.py') return 'import';
  return 'module';
}

/** A `.pth` file runs only its lines that start with `import`; the rest are paths, blanked here to keep line numbers. */
function pthCode(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => (/^import[ \t]/.test(line) ? line : ''))
    .join('\n');
}

/** Config files are not Python: each line is looked at as a string. */
function configSource(text: string): PythonSource {
  const lines = text.split(/\r\n|\r|\n/);
  const logical: LogicalLine[] = lines.map((line, index) => ({ code: '', firstLine: index + 1, start: 0, newlines: [], strings: [{ value: line, raw: line, line: index + 1 }] }));
  return { lines, logical };
}

function looksLikePythonScript(data: Buffer): boolean {
  const head = data.subarray(0, 128).toString('latin1');
  return head.startsWith('#!') && /python/.test(head.split('\n')[0] ?? '');
}

interface ScannedFile {
  file: SourceUnderScan;
  hits: RuleHit[];
}

function scanSource(file: SourceUnderScan, rules: SourceRule[]): ScannedFile {
  const hits: RuleHit[] = [];
  for (const rule of rules) hits.push(...rule(file));
  hits.push(...combineHits(file, hits));
  return { file, hits };
}

function toFinding(file: SourceUnderScan, hit: RuleHit & { severity: FindingSeverity }): Finding {
  const text = file.source.lines[hit.line - 1];
  return { rule: hit.rule, severity: hit.severity, file: file.path, line: hit.line, message: hit.message, excerpt: text === undefined ? null : makeExcerpt(text) };
}

function parseMetadata(member: ReadMember | undefined): CoreMetadata | null {
  if (member === undefined || member.truncated) return null;
  try {
    return parseCoreMetadataBytes(member.data);
  } catch {
    // The upload inspection refuses unparsable metadata; a scan of such a file just skips this family.
    return null;
  }
}

const INSTALL_COMMAND_OVERRIDE = /\bclass\s+\w+\s*\(\s*(?:[\w.]*\.)?(?:install|develop|egg_info|bdist_egg|install_lib|install_scripts|build_py|sdist)\s*\)/;

function installHooks(scanned: ScannedFile[], findings: Finding[]): InstallHooks {
  const install = scanned.filter((s) => s.file.context === 'install' && s.file.path.endsWith('.py') === true);
  const pths = scanned.filter((s) => s.file.path.endsWith('.pth') && s.file.source.logical.length > 0);
  const overriding = install.find((s) => s.file.source.logical.some((l) => INSTALL_COMMAND_OVERRIDE.test(l.code)));
  const risky = findings.some((f) => atLeast(f.severity, 'medium') && scanned.some((s) => s.file.path === f.file && s.file.context === 'install'));
  const acting = install.find((s) => s.hits.some((h) => h.severity !== null && atLeast(h.severity, 'low')));
  const where = overriding ?? pths[0] ?? acting;
  return { present: where !== undefined, where: where === undefined ? null : where.file.path, risky };
}

/** Bundled executables: low on their own in an sdist, high or critical when install code names them. */
function binaryFindings(layout: Layout, binaries: Map<string, string>, scanned: ScannedFile[]): Finding[] {
  const findings: Finding[] = [];
  const install = scanned.filter((s) => s.file.context === 'install');
  for (const [path, format] of binaries) {
    const base = posix.basename(path);
    let reference: { file: SourceUnderScan; line: number; runs: boolean } | null = null;
    for (const { file, hits } of install) {
      const literal = file.source.logical.flatMap((l) => l.strings).find((s) => base.length >= 3 && s.value.length < 4000 && (s.value === base || s.value.endsWith(`/${base}`) || s.value.includes(base)));
      if (literal !== undefined) {
        const runs = hits.some((h) => h.rule === DROPPED_BINARY_RULES.dropsExecutable || h.rule === 'process-spawn');
        reference = { file, line: literal.line, runs };
        break;
      }
    }
    if (reference !== null) {
      const text = reference.file.source.lines[reference.line - 1];
      findings.push({
        rule: DROPPED_BINARY_RULES.bundledBinary,
        severity: reference.runs ? 'critical' : 'high',
        file: reference.file.path,
        line: reference.line,
        message: `install-time code refers to the bundled ${format} executable ${path}${reference.runs ? ' and starts programs' : ''}`,
        excerpt: text === undefined ? null : makeExcerpt(text),
      });
    } else if (layout.kind === 'sdist') {
      findings.push({ rule: DROPPED_BINARY_RULES.bundledBinary, severity: 'low', file: path, line: null, message: `an ${format} executable in a source distribution`, excerpt: null });
    }
  }
  return findings;
}

function dedupe(findings: Finding[]): Finding[] {
  const best = new Map<string, Finding>();
  for (const finding of findings) {
    const key = `${finding.rule}\0${finding.file}\0${finding.line ?? ''}`;
    const seen = best.get(key);
    if (seen === undefined || compareSeverity(finding.severity, seen.severity) > 0) best.set(key, finding);
  }
  return [...best.values()].sort(
    (a, b) => compareSeverity(b.severity, a.severity) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || (a.line ?? 0) - (b.line ?? 0) || (a.rule < b.rule ? -1 : 1),
  );
}

async function readArchive(path: string, layout: Layout, choose: ChooseBytes, budget: ReadBudget): Promise<ArchiveRead> {
  if (layout.kind === 'wheel' || layout.format === 'zip') {
    const kind: ArchiveKind = layout.kind === 'wheel' ? 'wheel' : 'sdist';
    return readZipMembers(path, kind, choose, budget);
  }
  return readTarMembers(path, layout.format === 'tar.gz', choose, budget);
}

/**
 * Scans one distribution file (`filename` says its format: `.whl`, `.tar.gz`, `.tgz`, `.tar`,
 * `.zip`) for malware heuristics without running anything. Throws PAVED_E_INVALID_ARCHIVE or
 * PAVED_E_UNSAFE_ARCHIVE when the archive cannot be read.
 */
export async function scanDistribution(path: string, filename: string, options: ScanOptions = {}): Promise<ScanResult> {
  const layout = layoutOf(filename);
  const maxFile = options.maxScanBytesPerFile ?? DEFAULT_MAX_FILE;
  const maxTotal = options.maxTotalScanBytes ?? DEFAULT_MAX_TOTAL;
  const budget: ReadBudget = { remaining: maxTotal };
  const archive = await readArchive(path, layout, chooser(layout, maxFile), budget);

  const findings: Finding[] = [];
  const top = layout.kind === 'sdist' ? (archive.members[0]?.path.split('/')[0] ?? '') : '';
  const backends = layout.kind === 'sdist' ? backendDirs(top, archive.read.find((m) => m.path === `${top}/pyproject.toml`)) : [];
  const binaries = new Map<string, string>();
  const scanned: ScannedFile[] = [];
  let metadataMember: ReadMember | undefined;
  let scannedFiles = 0;
  let scannedBytes = 0;

  for (const member of archive.read) {
    if (isMetadataFile(layout, member.path)) {
      if (layout.kind === 'wheel' || member.path === `${top}/PKG-INFO`) metadataMember = member;
      scannedFiles++;
      scannedBytes += member.data.length;
      continue;
    }
    const format = executableFormat(member.data.subarray(0, MAGIC_BYTES));
    if (format !== null) {
      binaries.set(member.path, format);
      continue;
    }
    const isPython = PYTHON_FILE.test(member.path) || (isWheelScript(member.path) && looksLikePythonScript(member.data));
    const isConfig = layout.kind === 'sdist' && isSdistConfig(member.path);
    if (!isPython && !isConfig) continue;
    scannedFiles++;
    scannedBytes += member.data.length;
    let text = member.data.toString('utf8');
    if (member.truncated) {
      // Scan whole lines only; the cut-off tail is reported, not guessed at.
      const lastNewline = text.lastIndexOf('\n');
      if (lastNewline > 0) text = text.slice(0, lastNewline);
      findings.push({
        rule: SCAN_LIMIT_RULES.fileTruncated,
        severity: 'info',
        file: member.path,
        line: null,
        message: `only the first ${member.data.length} of ${member.size} bytes were scanned`,
        excerpt: null,
      });
    }
    const context: CodeContext = isConfig ? 'install' : contextOf(layout, member.path, backends);
    const code = member.path.endsWith('.pth') ? pthCode(text) : text;
    const source = isConfig ? configSource(text) : readPythonSource(code);
    // Excerpts show the file as written, not the blanked lines of a .pth.
    if (member.path.endsWith('.pth')) source.lines = text.split(/\r\n|\r|\n/);
    scanned.push(scanSource({ path: member.path, context, text: code, source }, isConfig ? CONFIG_RULES : SOURCE_RULES));
  }
  if (budget.remaining <= 0) {
    findings.push({ rule: SCAN_LIMIT_RULES.budgetExhausted, severity: 'info', file: filename, line: null, message: `the archive holds more than ${maxTotal} bytes of files to scan; the rest were not scanned`, excerpt: null });
  }

  for (const { file, hits } of scanned) {
    for (const hit of hits) if (hit.severity !== null) findings.push(toFinding(file, { ...hit, severity: hit.severity }));
  }

  // A wheel's binaries are normal (extension modules); they matter only if install code names them.
  if (layout.kind === 'wheel' && scanned.some((s) => s.file.context === 'install')) {
    const strings = scanned.filter((s) => s.file.context === 'install').flatMap((s) => s.file.source.logical.flatMap((l) => l.strings.map((x) => x.value)));
    const named = new Set(archive.members.filter((m) => strings.some((v) => v.length < 4000 && posix.basename(m.path).length >= 3 && v.includes(posix.basename(m.path)))).map((m) => m.path));
    if (named.size > 0) {
      const second = await readZipMembers(path, 'wheel', (p) => (named.has(p) ? MAGIC_BYTES : 0), { remaining: MAGIC_BYTES * named.size });
      for (const member of second.read) {
        const format = executableFormat(member.data);
        if (format !== null) binaries.set(member.path, format);
      }
    }
  }
  findings.push(...binaryFindings(layout, binaries, scanned));

  const metadata = parseMetadata(metadataMember);
  if (metadata !== null) {
    const hooks = installHooks(scanned, findings);
    for (const hit of metadataRule(metadata, hooks)) {
      findings.push({ rule: hit.rule, severity: hit.severity, file: 'METADATA', line: null, message: hit.message, excerpt: null });
    }
  }
  return { findings: dedupe(findings), scannedFiles, scannedBytes, scannerVersion: SCANNER_VERSION };
}
