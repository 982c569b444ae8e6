/** Runs `job` over `items` with at most `workers` at a time; results keep the items' order. */
export async function mapWithWorkers<I, T>(
  items: readonly I[],
  workers: number,
  job: (item: I) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await job(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, worker));
  return results;
}
