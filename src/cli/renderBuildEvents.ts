/**
 * How every installing command shows sdist builds: one line per sdist built (or, with
 * `--verbose`, taken from the build cache), the back-end's output as the live progress label on
 * a TTY, and with `--verbose` each hook run and each build environment.
 */
import type { SdistBuildEvent } from '../client/buildSdist.js';
import type { GlobalOptions } from './globalOptions.js';
import type { Reporter } from './reporter.js';

/** A renderer of build events that remembers when each build started, to say how long it took. */
export function buildEventRenderer(reporter: Reporter, global: GlobalOptions): (event: SdistBuildEvent) => void {
  const started = new Map<string, number>();
  const wheelName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
  const render = (event: SdistBuildEvent): void => {
    switch (event.type) {
      case 'build-started':
        started.set(event.sdist, Date.now());
        reporter.progress(0, 1, `building ${event.sdist}`);
        break;
      case 'built': {
        if (event.cached) {
          if (global.verbose) reporter.info(`using ${wheelName(event.wheel)}, built from ${event.sdist} earlier (build cache)`);
          break;
        }
        const since = started.get(event.sdist);
        const took = since === undefined ? '' : ` in ${Math.round((Date.now() - since) / 100) / 10}s`;
        reporter.info(`built ${wheelName(event.wheel)} from ${event.sdist}${took}`, { sdist: event.sdist, wheel: wheelName(event.wheel) });
        break;
      }
      case 'sdist-metadata':
        if (global.verbose) reporter.info(`metadata of ${event.sdist} from ${event.from === 'pkg-info' ? 'its PKG-INFO (PEP 643, no build)' : event.from === 'cache' ? 'the build cache' : 'its back-end (prepare_metadata_for_build_wheel)'}`);
        break;
      case 'build-env':
        if (global.verbose) reporter.info(`${event.cached ? 'reusing' : 'creating'} the build environment of ${event.sdist}${event.requirements.length > 0 ? ` (${event.requirements.join(', ')})` : ' (no build requirements)'}`);
        break;
      case 'build-env-install':
        // Building a build requirement from its sdist, for this build's environment.
        if (event.event.type === 'build') render(event.event.event);
        break;
      case 'backend': {
        const e = event.event;
        if (e.type === 'hook-started' && global.verbose) reporter.info(`running the back-end hook ${e.hook} for ${e.sdist}`);
        else if (e.type === 'hook-output') reporter.progress(0, 1, `${e.sdist}: ${e.line}`);
        else if (e.type === 'hook-finished' && global.verbose) reporter.info(`${e.hook} for ${e.sdist} finished in ${Math.round(e.ms / 100) / 10}s`);
        break;
      }
      default:
        break;
    }
  };
  return render;
}
