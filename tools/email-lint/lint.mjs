// Lint Studio's email HTML against caniemail data (doiuse-email).
// usage: node lint.mjs FILE.html...   prints what Gmail, Apple Mail or Outlook lack; exit 1 if any,
// except the features in allowlist.json (each with the reason it is safe).
import { readFileSync } from 'node:fs';
import { doIUseEmail } from 'doiuse-email';

const here = new URL('.', import.meta.url);
const allow = JSON.parse(readFileSync(new URL('allowlist.json', here), 'utf8'));
const clients = ['gmail.*', 'apple-mail.*', 'outlook.*'];
let bad = 0;
for (const file of process.argv.slice(2)) {
  const result = doIUseEmail(readFileSync(file, 'utf8'), { emailClients: clients });
  for (const error of result.errors ?? []) {
    const feature = (error.match(/^`([^`]+)`/) || [])[1] || error;
    if (Object.hasOwn(allow, feature)) continue;
    bad += 1;
    console.log(`${file}: ${error}`);
  }
}
process.exit(bad ? 1 : 0);
