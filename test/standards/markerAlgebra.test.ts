import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMarkerAlgebra, DNF_TRUE } from '../../src/standards/markerAlgebra.js';
import { parseMarker } from '../../src/standards/markers.js';
import { parseSpecifierSet } from '../../src/standards/specifier.js';

const algebra = (requiresPython: string | null, environments: string[] | null = null) =>
  createMarkerAlgebra({ requiresPython: requiresPython === null ? null : parseSpecifierSet(requiresPython), environments: environments === null ? null : environments.map(parseMarker) });

test('a marker the Requires-Python excludes is impossible, one it always meets is dropped', () => {
  const a = algebra('>=3.11');
  assert.equal(a.possible(a.fromMarker(parseMarker('python_version < "3.11"'))), false);
  assert.equal(a.possible(a.fromMarker(parseMarker('python_version < "3.12"'))), true);
  assert.equal(a.always(a.fromMarker(parseMarker('python_version >= "3.10"'))), true);
  assert.equal(a.toMarkerText(a.simplify(a.fromMarker(parseMarker('python_version >= "3.10" and sys_platform == "linux"')))), 'sys_platform == "linux"');
});

test('environments limit what is possible', () => {
  const a = algebra('>=3.9', ['sys_platform == "linux"']);
  assert.equal(a.possible(a.fromMarker(parseMarker('sys_platform == "win32"'))), false);
  assert.equal(a.always(a.fromMarker(parseMarker('sys_platform != "win32"'))), true);
  assert.equal(a.possible(a.fromMarker(parseMarker('platform_machine == "aarch64"'))), true);
});

test('extra comparisons are decided for the extra a line was read for', () => {
  const a = algebra(null);
  const m = parseMarker('python_version < "3.11" and extra == "socks"');
  assert.deepEqual(a.fromMarker(m, 'socks'), [['python_version < "3.11"']]);
  assert.deepEqual(a.fromMarker(m, null), []);
  assert.deepEqual(a.fromMarker(m, 'other'), []);
});

test('or and and combine, absorb and print', () => {
  const a = algebra('>=3.9');
  const py = a.fromMarker(parseMarker('python_version < "3.11"'));
  const win = a.fromMarker(parseMarker('sys_platform == "win32"'));
  const group = a.fromMarker(parseMarker('"dev" in dependency_groups'));
  assert.equal(a.toMarkerText(a.simplify(a.or(py, a.and(py, win)))), 'python_version < "3.11"');
  assert.equal(a.toMarkerText(a.simplify(a.or(py, win))), 'python_version < "3.11" or sys_platform == "win32"');
  assert.equal(a.toMarkerText(a.simplify(a.and(group, a.or(py, win)))), '("dev" in dependency_groups and python_version < "3.11") or ("dev" in dependency_groups and sys_platform == "win32")');
  assert.equal(a.toMarkerText(a.simplify(a.or(py, a.fromMarker(parseMarker('python_version >= "3.11"'))))), null);
  assert.deepEqual(a.simplify(DNF_TRUE), DNF_TRUE);
});

test('python_full_version boundaries and minor ranges', () => {
  const a = algebra('>=3.8');
  const m = a.fromMarker(parseMarker('python_full_version >= "3.8.1"'));
  assert.equal(a.possible(m), true);
  assert.equal(a.always(m), false);
  const range = a.pythonMinorRange('3.10', '3.11');
  assert.equal(a.toMarkerText(range), 'python_version >= "3.10" and python_version < "3.12"');
  assert.equal(a.always(a.or(a.pythonMinorRange('3.8', '3.9'), a.pythonMinorRange('3.10', null))), true);
  assert.equal(a.possible(a.and(range, a.fromMarker(parseMarker('python_version < "3.10"')))), false);
});

test('pieces of Python ranges join into one range', () => {
  const a = algebra('>=3.9');
  const pieces = a.or(a.fromMarker(parseMarker('python_version == "3.9"')), a.fromMarker(parseMarker('python_version == "3.10"')));
  assert.equal(a.toMarkerText(a.simplify(pieces)), 'python_version < "3.11"');
  const split = a.or(a.and(pieces, a.fromMarker(parseMarker('sys_platform == "win32"'))), a.fromMarker(parseMarker('python_version >= "3.11" and sys_platform == "win32"')));
  assert.equal(a.toMarkerText(a.simplify(split)), 'sys_platform == "win32"');
  assert.equal(a.toMarkerText(a.simplify(a.fromMarker(parseMarker('python_version == "3.9" or python_version >= "3.12"')))), 'python_version < "3.10" or python_version >= "3.12"');
});

test('sys_platform, platform_system and os_name go together', () => {
  const a = algebra('>=3.9', ['sys_platform == "linux"']);
  assert.equal(a.possible(a.fromMarker(parseMarker('platform_system == "Darwin"'))), false);
  assert.equal(a.possible(a.fromMarker(parseMarker('os_name == "nt"'))), false);
  assert.equal(a.always(a.fromMarker(parseMarker('platform_system == "Linux"'))), true);
  assert.equal(a.possible(a.fromMarker(parseMarker('platform_system != "Windows" and platform_machine == "aarch64"'))), true);
  const any = algebra('>=3.9');
  assert.equal(any.possible(any.fromMarker(parseMarker('sys_platform == "win32" and platform_system == "Darwin"'))), false);
  assert.equal(any.possible(any.fromMarker(parseMarker('sys_platform == "freebsd13" and os_name == "posix"'))), true);
});

test('not is the complement, by De Morgan, and gives up on operators PEP 508 cannot negate', () => {
  const a = algebra('>=3.9');
  const m = (text: string) => a.fromMarker(parseMarker(text));
  assert.equal(a.toMarkerText(a.not(m('sys_platform == "linux"')) ?? []), 'sys_platform != "linux"');
  assert.equal(a.toMarkerText(a.simplify(a.not(m('sys_platform == "linux" or python_version < "3.11"')) ?? [])), 'python_version >= "3.11" and sys_platform != "linux"');
  assert.equal(a.toMarkerText(a.not(m('"arm" in platform_machine and os_name == "nt"')) ?? []), '"arm" not in platform_machine or os_name != "nt"');
  assert.deepEqual(a.not(DNF_TRUE), []);
  assert.deepEqual(a.not([]), DNF_TRUE);
  assert.equal(a.not(m('platform_release ~= "5.1"')), null);
});

test('minimize widens terms that stay inside the marker, where simplify keeps the pieces', () => {
  const a = algebra('>=3.9');
  const pieces = a.fromMarker(parseMarker('sys_platform == "linux" or (sys_platform != "linux" and sys_platform != "win32")'));
  assert.equal(a.toMarkerText(a.simplify(pieces)), '(sys_platform != "linux" and sys_platform != "win32") or sys_platform == "linux"');
  assert.equal(a.toMarkerText(a.minimize(pieces)), 'sys_platform != "win32"');
  // Every platform together is no marker at all; a single term is left as simplify has it.
  assert.equal(a.toMarkerText(a.minimize(a.or(pieces, a.fromMarker(parseMarker('sys_platform == "win32"'))))), null);
  assert.equal(a.toMarkerText(a.minimize(a.fromMarker(parseMarker('python_version < "3.11" and sys_platform == "win32"')))), 'sys_platform == "win32" and python_version < "3.11"');
});
