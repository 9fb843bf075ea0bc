/**
 * Polls `check` until it holds. A test waits for the state it needs this way rather than sleeping for a time
 * that a busy machine may exceed; past `timeoutMs` it fails with `what` instead of hanging the test.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10000, stepMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
