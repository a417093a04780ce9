// Seed files imported as text (`with { type: 'text' }`) by src/devnet.ts.
declare module '*.seed' {
  const text: string;
  export default text;
}
