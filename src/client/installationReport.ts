/**
 * pip's installation report (`pip install --report FILE`, format version "1"): what an install
 * did or, with `--dry-run`, would install, in the JSON shape scripts already read from pip.
 * Each item has the release's whole core metadata as JSON (PEP 566), the download URL with its
 * sha256, and whether the user asked for it.
 */
import { coreMetadataJson, type CoreMetadata } from '../standards/coreMetadata.js';
import type { MarkerEnvironment } from '../standards/markers.js';

/** One `install` item of the report. */
export interface InstallationReportItem {
  /** Every field of the core metadata (PEP 566's JSON form); at least these. */
  metadata: { metadata_version: string; name: string; version: string; requires_dist?: string[]; requires_python?: string; [field: string]: string | string[] | undefined };
  download_info: { url: string; archive_info: { hash?: string; hashes: Record<string, string> } };
  /** True for a wheel named by URL or path (PEP 610). */
  is_direct: boolean;
  is_yanked: boolean;
  requested: boolean;
  requested_extras?: string[];
}

/** The whole report. */
export interface InstallationReport {
  version: '1';
  /** pip writes its own version here; paved writes its name so readers can tell. */
  pip_version: string;
  install: InstallationReportItem[];
  environment: MarkerEnvironment;
}

/** What the report needs to know of one distribution being installed. */
export interface ReportedDistribution {
  name: string;
  version: string;
  url: string;
  sha256: string | null;
  direct: boolean;
  yanked: boolean;
  requested: boolean;
  requestedExtras?: readonly string[];
  /** The release's core metadata, when read: the report carries every field of it. */
  metadata?: CoreMetadata;
}

/** Builds the report for `items` installed into an environment with `environment` markers. */
export function buildInstallationReport(items: readonly ReportedDistribution[], environment: MarkerEnvironment, tool = 'paved'): InstallationReport {
  return {
    version: '1',
    pip_version: tool,
    install: items.map((d): InstallationReportItem => ({
      metadata: { metadata_version: '2.1', ...(d.metadata === undefined ? {} : coreMetadataJson(d.metadata)), name: d.name, version: d.version },
      download_info: { url: d.url, archive_info: d.sha256 === null ? { hashes: {} } : { hash: `sha256=${d.sha256}`, hashes: { sha256: d.sha256 } } },
      is_direct: d.direct,
      is_yanked: d.yanked,
      requested: d.requested,
      ...(d.requestedExtras === undefined || d.requestedExtras.length === 0 ? {} : { requested_extras: [...d.requestedExtras] }),
    })),
    environment,
  };
}
