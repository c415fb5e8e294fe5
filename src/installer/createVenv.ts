/**
 * PEP 405 virtual environments made directly, without running `python -m venv` (and so
 * without ensurepip): `pyvenv.cfg`, the `bin/python*` links, `site-packages` and an `activate`
 * script. That is all CPython needs to treat the directory as a venv, and it takes a few
 * milliseconds instead of the seconds `venv` spends bootstrapping pip.
 */
import { mkdir, readFile, readlink, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PavedError } from '../errors.js';
import { inspectInterpreter, type InspectOptions, type InstallScheme, type PythonInterpreter } from './interpreter.js';

/** A virtual environment and where each kind of installed file goes in it. */
export interface Venv {
  /** Absolute path of the environment's directory (the one holding `pyvenv.cfg`). */
  root: string;
  /** `<root>/bin/python`. */
  python: string;
  /** Absolute install scheme of the environment. */
  scheme: InstallScheme;
  /** Where a distribution's headers go: `<root>/include/site/pythonX.Y/<name>/`, as pip does in a venv. */
  headersBase: string;
  /** The interpreter the environment runs (its tags and marker environment apply). */
  interpreter: PythonInterpreter;
}

/** Options for `createVenv`. */
export interface CreateVenvOptions {
  /** Shown in the shell prompt by `activate`; default the directory's name. */
  prompt?: string;
  /** `include-system-site-packages = true`. */
  systemSitePackages?: boolean;
  /** Replace an existing environment in `dir` instead of failing. */
  clear?: boolean;
}

function resolveScheme(root: string, relative: InstallScheme): InstallScheme {
  const at = (path: string): string => (path.startsWith('/') ? path : resolve(root, path));
  return { purelib: at(relative.purelib), platlib: at(relative.platlib), scripts: at(relative.scripts), data: at(relative.data), include: at(relative.include) };
}

function venvFor(root: string, interpreter: PythonInterpreter): Venv {
  const [major, minor] = interpreter.versionInfo;
  return {
    root,
    python: join(root, 'bin', 'python'),
    scheme: resolveScheme(root, interpreter.venvScheme),
    headersBase: join(root, 'include', 'site', `python${major}.${minor}`),
    interpreter,
  };
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function activateScript(root: string, prompt: string): string {
  return `# Source this file from bash or zsh: . bin/activate   (written by paved)
deactivate () {
    if [ -n "\${_PAVED_OLD_PATH+set}" ]; then PATH="$_PAVED_OLD_PATH"; export PATH; unset _PAVED_OLD_PATH; fi
    if [ -n "\${_PAVED_OLD_PYTHONHOME+set}" ]; then PYTHONHOME="$_PAVED_OLD_PYTHONHOME"; export PYTHONHOME; unset _PAVED_OLD_PYTHONHOME; fi
    if [ -n "\${_PAVED_OLD_PS1+set}" ]; then PS1="$_PAVED_OLD_PS1"; export PS1; unset _PAVED_OLD_PS1; fi
    unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT
    hash -r 2>/dev/null
    if [ "\${1:-}" != "nondestructive" ]; then unset -f deactivate; fi
}
deactivate nondestructive
VIRTUAL_ENV=${shellQuote(root)}
export VIRTUAL_ENV
_PAVED_OLD_PATH="$PATH"
PATH="$VIRTUAL_ENV/bin:$PATH"
export PATH
if [ -n "\${PYTHONHOME+set}" ]; then _PAVED_OLD_PYTHONHOME="$PYTHONHOME"; unset PYTHONHOME; fi
if [ -z "\${VIRTUAL_ENV_DISABLE_PROMPT:-}" ]; then
    _PAVED_OLD_PS1="\${PS1:-}"
    VIRTUAL_ENV_PROMPT=${shellQuote(`(${prompt}) `)}
    PS1="$VIRTUAL_ENV_PROMPT\${PS1:-}"
    export PS1 VIRTUAL_ENV_PROMPT
fi
hash -r 2>/dev/null
`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates a virtual environment in `dir` for `interpreter` (a base interpreter or another
 * venv's, whose base is then used). The directory is assembled under a temporary name and
 * renamed into place, so a failure leaves no half-made environment. Throws
 * `PAVED_E_VENV_EXISTS` when `dir` already exists and `clear` is not set.
 */
export async function createVenv(dir: string, interpreter: PythonInterpreter, options: CreateVenvOptions = {}): Promise<Venv> {
  const root = resolve(dir);
  if (root.includes('\0') || root.includes('\n')) {
    throw new PavedError('PAVED_E_VENV', `${JSON.stringify(root)} cannot be a virtual environment path`, { hint: 'Choose a directory name without control characters.' });
  }
  if (await exists(root)) {
    if (options.clear !== true) {
      throw new PavedError('PAVED_E_VENV_EXISTS', `${root} already exists`, { hint: 'Remove it, choose another directory, or recreate it (clear).' });
    }
  }
  if (interpreter.sysPlatform === 'win32') {
    throw new PavedError('PAVED_E_UNSUPPORTED_PLATFORM', 'creating Windows virtual environments is not supported yet', { hint: 'Use python -m venv on Windows.' });
  }
  const [major, minor] = interpreter.versionInfo;
  const base = interpreter.baseExecutable;
  const baseReal = await realpath(base);
  const staging = join(dirname(root), `.${basename(root)}.paved-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    await mkdir(join(staging, 'bin'), { recursive: true });
    const cfg = [
      `home = ${dirname(base)}`,
      `include-system-site-packages = ${options.systemSitePackages === true ? 'true' : 'false'}`,
      `version = ${interpreter.version}`,
      `executable = ${baseReal}`,
      `command = paved venv ${root}`,
      ...(options.prompt === undefined ? [] : [`prompt = ${JSON.stringify(options.prompt)}`]),
      '',
    ].join('\n');
    await writeFile(join(staging, 'pyvenv.cfg'), cfg);
    await symlink(base, join(staging, 'bin', 'python3'));
    await symlink('python3', join(staging, 'bin', 'python'));
    await symlink('python3', join(staging, 'bin', `python${major}.${minor}`));
    const scheme = interpreter.venvScheme;
    for (const path of new Set([scheme.purelib, scheme.platlib])) {
      if (!path.startsWith('/')) await mkdir(join(staging, path), { recursive: true });
    }
    await mkdir(join(staging, 'include'), { recursive: true });
    // Like venv: a 64-bit POSIX environment gets lib64 → lib, so either platlibdir finds the packages.
    if (interpreter.pointerBits === 64 && interpreter.sysPlatform !== 'darwin' && !(await exists(join(staging, 'lib64')))) {
      await symlink('lib', join(staging, 'lib64'));
    }
    await writeFile(join(staging, 'bin', 'activate'), activateScript(root, options.prompt ?? basename(root)));
    if (options.clear === true) await rm(root, { recursive: true, force: true });
    await rename(staging, root);
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    if (error instanceof PavedError) throw error;
    throw new PavedError('PAVED_E_VENV', `cannot create a virtual environment in ${root}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Check that the parent directory exists and is writable.',
      cause: error,
    });
  }
  return venvFor(root, interpreter);
}

/**
 * Opens an existing virtual environment: checks `pyvenv.cfg` and inspects its interpreter.
 * Throws `PAVED_E_NOT_A_VENV` when `dir` has no `pyvenv.cfg` or its interpreter does not run
 * (e.g. the base Python was removed).
 */
export async function openVenv(dir: string, options: InspectOptions = {}): Promise<Venv> {
  const root = resolve(dir);
  let cfg: string;
  try {
    cfg = await readFile(join(root, 'pyvenv.cfg'), 'utf8');
  } catch (error) {
    throw new PavedError('PAVED_E_NOT_A_VENV', `${root} is not a virtual environment (no pyvenv.cfg)`, {
      hint: 'Give the directory of a virtual environment, or create one.',
      cause: error,
    });
  }
  let interpreter: PythonInterpreter;
  try {
    interpreter = (await throughBaseInterpreter(root, cfg, options)) ?? (await inspectInterpreter(join(root, 'bin', 'python'), options));
  } catch (error) {
    throw new PavedError('PAVED_E_NOT_A_VENV', `the interpreter of ${root} does not run`, {
      hint: 'Its base Python may have been removed or upgraded; recreate the environment.',
      cause: error,
    });
  }
  return venvFor(root, interpreter);
}

/**
 * The environment's interpreter described from its base interpreter, when `bin/python` is a
 * link to the very file `pyvenv.cfg` names as its executable: the same binary has the same tags
 * and markers, and the base's inspection is usually cached, while the environment's own path is
 * new for every fresh environment (inspecting it runs Python, ~0.05–0.1 s). Null otherwise (a
 * copied interpreter, an older pyvenv.cfg without `executable`): the caller inspects it.
 */
async function throughBaseInterpreter(root: string, cfg: string, options: InspectOptions): Promise<PythonInterpreter | null> {
  const executable = /^executable\s*=\s*(.+?)\s*$/m.exec(cfg)?.[1];
  if (executable === undefined || !executable.startsWith('/')) return null;
  const python = join(root, 'bin', 'python');
  // Inspected through the path the environment links to when it is absolute (the one paved
  // and venv were given, so its inspection is the cached one), else the configured executable.
  let through = executable;
  try {
    const target = await readlink(join(root, 'bin', 'python3'));
    if (target.startsWith('/')) through = target;
    if ((await realpath(python)) !== (await realpath(executable)) || (await realpath(through)) !== (await realpath(executable))) return null;
  } catch {
    return null;
  }
  const base = await inspectInterpreter(through, options);
  if (base.isVenv) return null;
  // As sysconfig reports inside a venv: the install paths under the environment, headers the base's.
  return { ...base, path: python, executable: python, prefix: root, isVenv: true, paths: { ...resolveScheme(root, base.venvScheme), include: base.paths.include } };
}
