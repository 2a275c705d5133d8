/**
 * Hooks for the whole suite. A test that fails part-way may leave a socket or a peer process
 * open; mocha is told to exit when the suite is done (`exit` in .mocharc.json) so that such a
 * leftover cannot hold the run open, and this hook names what was still open, so it is seen.
 */
export const mochaHooks = {
  afterAll(): void {
    const open = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap' && kind !== 'PipeWrap');
    if (open.length === 0) return;
    const counts = new Map<string, number>();
    for (const kind of open) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const list = [...counts].map(([kind, n]) => `${kind} ×${n}`).join(', ');
    process.stdout.write(`  still open after the suite: ${list}\n`);
  },
};
