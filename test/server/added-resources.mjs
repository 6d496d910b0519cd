// For the leftovers scripts that close.test.mjs runs in a process of their own: what the process
// holds beyond what it held when this module was first imported. Import it before anything that
// could open a handle.

// stdout's and stderr's pipes, once touched, are the process's, not the code under test's.
process.stdout.write('');
process.stderr.write('');
const before = process.getActiveResourcesInfo();

/** The resources the process holds now that it did not hold at import (each counted once per time it was held before). */
export function added() {
  const left = [...before];
  return process.getActiveResourcesInfo().filter((resource) => {
    const index = left.indexOf(resource);
    if (index === -1) return true;
    left.splice(index, 1);
    return false;
  });
}
