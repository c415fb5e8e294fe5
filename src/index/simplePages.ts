import type { ProjectList } from '../standards/simpleApi.js';
import { SIMPLE_API_VERSION } from '../standards/simpleApi.js';

/** The simple-API model of an index's project list. */
export function buildProjectList(projects: Map<string, string>): ProjectList {
  const names = [...projects.values()].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  return { apiVersion: SIMPLE_API_VERSION, projects: names.map((name) => ({ name })) };
}

