// An amount of scryp as people read it, 1,234,567: what toLocaleString('en-US') writes for a
// whole number, without the browser's number formatter, whose first use costs a phone-speed
// page 70 ms (its data is loaded then) on the way to the first balance drawn.

export function amountText(amount: number): string {
  return String(amount).replace(/\B(?=(\d{3})+$)/g, ',');
}
