import type { VersionRange } from '../../standards/versionRange.js';
import type { ExcludedVersion, Incompatibility } from './incompatibility.js';
import type { Term } from './term.js';

/** How packages and version sets read in an explanation. */
export interface ReportNames {
  readonly root: string;
  /**
   * A version set of `pkg` as specifier text, e.g. `>=2` or `==1.0`, and ''
   * for every version. `known` is true when the range was built from the
   * versions the index has (so it may be simplified over them), false when
   * it is a requirement as written.
   */
  rangeText(pkg: string, range: VersionRange, known: boolean): string;
}

interface Line {
  readonly text: string;
  readonly number: number | null;
}

/**
 * Renders the derivation of a failure as numbered English lines in the
 * PubGrub style: each line concludes one derived incompatibility from two
 * causes, and a line that a later one refers back to gets a number.
 */
export function renderDerivation(failure: Incompatibility, names: ReportNames): string {
  const uses = new Map<Incompatibility, number>();
  const count = (incompat: Incompatibility): void => {
    const seen = uses.get(incompat);
    uses.set(incompat, (seen ?? 0) + 1);
    if (seen === undefined && incompat.cause.kind === 'derived') {
      count(incompat.cause.left);
      count(incompat.cause.right);
    }
  };
  count(failure);

  const lines: Line[] = [];
  const numbers = new Map<Incompatibility, number>();
  const say = (incompat: Incompatibility): string => describeIncompatibility(incompat, names);
  const write = (incompat: Incompatibility, text: string, numbered: boolean): void => {
    if (numbered) {
      const number = numbers.size + 1;
      numbers.set(incompat, number);
      lines.push({ text, number });
    } else {
      lines.push({ text, number: null });
    }
  };
  const ref = (incompat: Incompatibility): string => `${say(incompat)} (${numbers.get(incompat)})`;

  const visit = (incompat: Incompatibility, conclusion: boolean): void => {
    const cause = incompat.cause;
    if (cause.kind !== 'derived') return;
    const numbered = conclusion || (uses.get(incompat) ?? 0) > 1;
    const conclusionText = say(incompat);
    const { left, right } = cause;
    if (left.isDerived && right.isDerived) {
      const leftLine = numbers.has(left);
      const rightLine = numbers.has(right);
      if (leftLine && rightLine) {
        write(incompat, `Because ${ref(left)} and ${ref(right)}, ${conclusionText}.`, numbered);
      } else if (leftLine || rightLine) {
        const [withLine, without] = leftLine ? [left, right] : [right, left];
        visit(without, false);
        write(incompat, `And because ${ref(withLine)}, ${conclusionText}.`, numbered);
      } else if (isSingleLine(left) || isSingleLine(right)) {
        const [first, second] = isSingleLine(right) ? [left, right] : [right, left];
        visit(first, false);
        visit(second, false);
        write(incompat, `Thus, ${conclusionText}.`, numbered);
      } else {
        visit(left, true);
        lines.push({ text: '', number: null });
        visit(right, false);
        write(incompat, `And because ${ref(left)}, ${conclusionText}.`, numbered);
      }
    } else if (left.isDerived || right.isDerived) {
      const [derived, external] = left.isDerived ? [left, right] : [right, left];
      if (numbers.has(derived)) {
        write(incompat, `Because ${say(external)} and ${ref(derived)}, ${conclusionText}.`, numbered);
      } else if (isCollapsible(derived, uses, numbers)) {
        const inner = derived.cause as { left: Incompatibility; right: Incompatibility };
        const [innerDerived, innerExternal] = inner.left.isDerived ? [inner.left, inner.right] : [inner.right, inner.left];
        visit(innerDerived, false);
        write(incompat, `And because ${say(innerExternal)} and ${say(external)}, ${conclusionText}.`, numbered);
      } else {
        visit(derived, false);
        write(incompat, `And because ${say(external)}, ${conclusionText}.`, numbered);
      }
    } else {
      write(incompat, `Because ${say(left)} and ${say(right)}, ${conclusionText}.`, numbered);
    }
  };

  if (failure.cause.kind !== 'derived') return `Because ${say(failure)}, version solving failed.`;
  visit(failure, false);

  const width = numbers.size === 0 ? 0 : `(${numbers.size}) `.length;
  return lines
    .map((line) => (line.text === '' ? '' : line.number === null ? ' '.repeat(width) + line.text : `(${line.number}) `.padEnd(width) + line.text))
    .join('\n');
}

function isSingleLine(incompat: Incompatibility): boolean {
  return incompat.cause.kind === 'derived' && !incompat.cause.left.isDerived && !incompat.cause.right.isDerived;
}

function isCollapsible(incompat: Incompatibility, uses: Map<Incompatibility, number>, numbers: Map<Incompatibility, number>): boolean {
  if ((uses.get(incompat) ?? 0) > 1 || incompat.cause.kind !== 'derived') return false;
  const { left, right } = incompat.cause;
  if (left.isDerived === right.isDerived) return false;
  return !numbers.has(left.isDerived ? left : right);
}

function excludedText(excluded: readonly ExcludedVersion[]): string {
  if (excluded.length === 0) return '';
  const groups = new Map<string, string[]>();
  for (const e of [...excluded].sort((a, b) => a.version.compare(b.version))) {
    const key = e.reason === 'requires-python' ? `requires-python:${e.detail ?? ''}` : e.reason;
    groups.set(key, [...(groups.get(key) ?? []), e.version.toString()]);
  }
  const parts = [...groups].map(([key, versions]) => {
    const one = versions.length === 1;
    const list = versions.length > 5 ? `${versions.slice(0, 5).join(', ')} and ${versions.length - 5} more` : versions.join(', ');
    if (key === 'yanked') return `${list} ${one ? 'is' : 'are'} yanked`;
    if (key === 'prerelease') return `${list} ${one ? 'is a pre-release' : 'are pre-releases'}`;
    return `${list} ${one ? 'requires' : 'require'} Python ${key.slice('requires-python:'.length)}`;
  });
  return ` (${parts.join('; ')})`;
}

/** One incompatibility as a clause: "a>=2 depends on b<1", "no versions of c match >3". */
export function describeIncompatibility(incompat: Incompatibility, names: ReportNames): string {
  const cause = incompat.cause;
  const positive = (t: Term): string => (t.pkg === names.root ? 'root' : t.pkg + names.rangeText(t.pkg, t.range, true));
  const required = (t: Term): string => t.pkg + names.rangeText(t.pkg, t.range, false);
  const first = incompat.terms[0];
  switch (cause.kind) {
    case 'root':
      return 'root is required';
    case 'dependency': {
      const dependent = incompat.terms.find((t) => t.positive);
      const dependency = incompat.terms.find((t) => !t.positive);
      if (dependent !== undefined && dependency !== undefined) return `${positive(dependent)} depends on ${required(dependency)}`;
      break;
    }
    case 'no-versions':
      if (first !== undefined) {
        const text = names.rangeText(first.pkg, first.range, false);
        const what = text === '' ? `there is no usable version of ${first.pkg}` : `no versions of ${first.pkg} match ${text}`;
        return what + excludedText(cause.excluded);
      }
      break;
    case 'requires-python':
      if (first !== undefined) return `${positive(first)} requires Python ${cause.requiresPython} (the target is Python ${cause.pythonVersion})`;
      break;
    case 'constraint':
      if (first !== undefined) return `the constraint ${cause.constraint} forbids ${positive(first)}`;
      break;
    case 'unusable':
      if (first !== undefined) return `${positive(first)} cannot be used: ${cause.reason}`;
      break;
    case 'derived':
      break;
  }
  // A derived term was built from index facts, not written by anyone: simplify it over the known versions.
  return describeTerms(incompat.terms, names, positive, (t) => t.pkg + names.rangeText(t.pkg, t.range, true));
}

function describeTerms(terms: readonly Term[], names: ReportNames, positive: (t: Term) => string, required: (t: Term) => string): string {
  const hasRoot = terms.some((t) => t.pkg === names.root && t.positive);
  const rest = terms.filter((t) => !(t.pkg === names.root && t.positive));
  const pos = rest.filter((t) => t.positive);
  const neg = rest.filter((t) => !t.positive);
  if (rest.length === 0) return 'version solving failed';
  if (pos.length === 0) {
    const needed = neg.map(required);
    const subject = hasRoot ? 'root requires' : 'it is required that';
    return needed.length === 1 ? (hasRoot ? `${subject} ${needed[0]}` : `${needed[0]} is required`) : `${subject} one of ${needed.join(', ')}`;
  }
  if (neg.length === 0) {
    if (pos.length === 1) return `${positive(pos[0] as Term)} is forbidden`;
    if (pos.length === 2) return `${positive(pos[0] as Term)} is incompatible with ${positive(pos[1] as Term)}`;
    return `one of ${pos.map(positive).join(', ')} must be false`;
  }
  if (pos.length === 1 && neg.length === 1) return `${positive(pos[0] as Term)} requires ${required(neg[0] as Term)}`;
  return `if ${pos.map(positive).join(' and ')} then ${neg.map(required).join(' or ')}`;
}
