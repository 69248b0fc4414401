/** "1,234 cases match · 50 shown": the count is the server's (capped: "10,000+"), the rows are those loaded. */
export function countLine(count: { count?: number; more?: boolean } | undefined, shown: number, more: boolean): string {
  const loaded = `${shown.toLocaleString('en')} shown${more ? ', more below' : ''}`;
  if (count?.count === undefined) return loaded;
  const n = count.count.toLocaleString('en');
  const total = count.more ? `${n}+ cases match` : `${n} ${count.count === 1 ? 'case matches' : 'cases match'}`;
  return more ? `${total} · ${loaded}` : total;
}
