// What the element's first load (min+gzip, Lit external, as the size test measures it) would
// weigh without some of its modules. Each module named is replaced by a stub that exports its
// names as constants: its code leaves the bundle, the element's calls into it stay. So each line
// is the most that moving those modules out of the first load could save.
//
//   node scripts/size-without.mjs src/requests/requests.ts,src/requests/server-replies.ts src/connection/flow-control.ts
//   → one line per argument (a comma-separated set of modules, taken out together)

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LIT, sizes, split } from './size.mjs';

const stubbing = (files) => ({
  name: 'stub',
  setup(build) {
    build.onLoad({ filter: /\/src\/.+\.ts$/ }, (args) => {
      if (!files.includes(path.relative(process.cwd(), args.path))) return undefined;
      const names = [...readFileSync(args.path, 'utf8').matchAll(/^export (?:abstract )?(?:class|function|const|let|async function) (\w+)/gm)].map((m) => m[1]);
      return { contents: names.map((name) => `export const ${name}: any = 0;`).join('\n'), loader: 'ts' };
    });
  },
});

const firstLoad = async (files) => sizes((await split('src/index.ts', LIT, undefined, files.length ? [stubbing(files)] : [])).initial).gzip;
const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
const all = await firstLoad([]);
console.log(`first load: ${kb(all)} min+gzip`);
for (const arg of process.argv.slice(2)) {
  const without = await firstLoad(arg.split(','));
  console.log(`without ${arg}: ${kb(without)} (−${kb(all - without)})`);
}
