/** Scheduling of an offline page's background work (decoding what is not shown yet). */

/** Run `task` when the page is idle, after the next frame (so what is shown paints first). */
export function whenIdle(task: () => void, timeout = 2000): void {
  requestAnimationFrame(() => {
    if (typeof requestIdleCallback === "function") requestIdleCallback(() => task(), { timeout });
    else setTimeout(task, 50);
  });
}
