/**
 * Reading what is not the package's business: SSH keys, cloud credentials, package-index and
 * git tokens, browser profiles, wallets, and the whole process environment.
 */
import { describeContext, lacksTriggers, type RuleHit, type SeverityByContext, type SourceRule } from './ruleTypes.js';
import { findInCode, findInStrings } from './matchSource.js';

/** Rule ids of this family. */
export const CREDENTIAL_RULES = {
  /** A path or variable name of a credential or private configuration. */
  access: 'credential-access',
  /** The whole environment turned into data (a signal: reported when combined with a send). */
  environmentDump: 'environment-dump',
} as const;

const ACCESS_SEVERITY: SeverityByContext = { install: 'high', import: 'medium', module: 'low' };

const SECRET_PATH =
  /(?:^|[/\\~])\.ssh(?:[/\\]|$)|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws[/\\](?:credentials|config)\b|\.config[/\\]gcloud\b|application_default_credentials\.json|(?:^|[/\\])\.azure(?:[/\\]|$)|\.kube[/\\]config\b|(?:^|[/\\~])[._]netrc\b|\.pypirc\b|\.git-credentials\b|\.docker[/\\]config\.json|(?:^|[/\\~])\.npmrc\b|(?:^|[/\\])\.gnupg\b|\bLogin Data\b|Google[/\\]Chrome[/\\]User Data|BraveSoftware|\.mozilla[/\\]firefox|Local Storage[/\\]leveldb|\bwallet\.dat\b|\bExodus[/\\]|Electrum[/\\]wallets|Library[/\\]Keychains|\/etc\/shadow\b/;
const SECRET_VARIABLE =
  /\b(?:AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AZURE_CLIENT_SECRET|GOOGLE_APPLICATION_CREDENTIALS|GITHUB_TOKEN|GH_TOKEN|NPM_TOKEN|PYPI_TOKEN|PYPI_API_TOKEN|TWINE_PASSWORD|CI_JOB_TOKEN|ACTIONS_RUNTIME_TOKEN|ACTIONS_ID_TOKEN_REQUEST_TOKEN|DISCORD_TOKEN|SLACK_BOT_TOKEN|OPENAI_API_KEY)\b/;
// Not `env=os.environ.copy()`: handing the environment to a child process is routine in setup.py.
const ENV_DUMP =
  /\bdict\s*\(\s*os\s*\.\s*environ\s*\)|\bos\s*\.\s*environ\s*\.\s*(?:items|values)\s*\(|\b(?:str|repr|dumps)\s*\(\s*(?:dict\s*\(\s*)?os\s*\.\s*environ\b|\*\*\s*os\s*\.\s*environ\b|\benviron\s*\.\s*__dict__/g;

/** Whether a string names a credential file or a secret variable. */
export function namesSecret(value: string): boolean {
  return value.length < 4000 && (SECRET_PATH.test(value) || SECRET_VARIABLE.test(value));
}

const TRIGGERS =
  /\.ssh|id_|\.aws|gcloud|application_default|\.azure|\.kube|netrc|pypirc|git-credentials|\.docker|npmrc|gnupg|Login Data|Chrome|Brave|mozilla|Local Storage|wallet|Exodus|Electrum|Keychains|shadow|TOKEN|SECRET|CREDENTIALS|API_KEY|PASSWORD|environ/;

/** Credential paths and secret variable names, and environment dumps (as signals). */
export const credentialRule: SourceRule = (file) => {
  const hits: RuleHit[] = [];
  if (lacksTriggers(file, TRIGGERS)) return hits;
  const where = describeContext(file.context);
  for (const match of findInStrings(file, namesSecret)) {
    const shown = (SECRET_PATH.exec(match.literal.value) ?? SECRET_VARIABLE.exec(match.literal.value))?.[0] ?? '';
    hits.push({ rule: CREDENTIAL_RULES.access, severity: ACCESS_SEVERITY[file.context], line: match.line, message: `reads credentials or private configuration (\`${shown.trim()}\`) ${where}` });
  }
  for (const match of findInCode(file, ENV_DUMP)) {
    hits.push({ rule: CREDENTIAL_RULES.environmentDump, severity: null, line: match.line, message: `collects the whole environment ${where}` });
  }
  return hits;
};
