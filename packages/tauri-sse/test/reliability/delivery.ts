/** Bookkeeping for "every event delivered exactly once and in order" over reconnections. */
export interface Tally {
  sent: number;
  delivered: number;
  duplicates: number;
  missing: number;
  inOrder: boolean;
}

/** `numbers`: the event numbers (the server's `n`, also its `id`) in delivery order; the server sent 1..`sent`. */
export function tally(numbers: readonly number[], sent: number): Tally {
  const seen = new Set(numbers);
  return {
    sent,
    delivered: numbers.length,
    duplicates: numbers.length - seen.size,
    missing: Array.from({ length: sent }, (_, i) => i + 1).filter((n) => !seen.has(n)).length,
    inOrder: numbers.every((n, i) => i === 0 || n > (numbers[i - 1] as number)),
  };
}

/** The number of one of the server's default payloads, `{"n":…,"t":…}`; throws on a torn event. */
export function eventNumber(data: string): number {
  return (JSON.parse(data) as { n: number }).n;
}

/** Prints one machine-greppable line of figures for docs/reliability.md. */
export function figures(name: string, values: Record<string, unknown>): void {
  console.log(`figures ${name}: ${JSON.stringify(values)}`);
}
