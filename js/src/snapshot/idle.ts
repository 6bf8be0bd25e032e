/** Scheduling of an offline page's background work (decoding what is not shown yet). */

/** Run `task` when the page is idle, after the next frame (so what is shown paints first). */
export function whenIdle(task: () => void, timeout = 2000): void {
  if (typeof requestAnimationFrame !== "function" || typeof requestIdleCallback !== "function") {
    setTimeout(task, 16); // no frames to wait for (a worker, a test): soon
    return;
  }
  requestAnimationFrame(() => requestIdleCallback(() => task(), { timeout }));
}
