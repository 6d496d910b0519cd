// Captures what a test expects on the console, so it is asserted rather than printed.
//
//   const printed = captureConsole('error');   // console.error records instead of printing
//   ...
//   printed.restore();
//   expect(printed.calls).to.have.length(1);

export interface CapturedConsole {
  /** The arguments of every call, in order. */
  readonly calls: unknown[][];
  /** Puts the console method back. */
  restore(): void;
}

export function captureConsole(method: 'error' | 'warn' = 'error'): CapturedConsole {
  const original = console[method];
  const calls: unknown[][] = [];
  console[method] = (...args: unknown[]) => void calls.push(args);
  return { calls, restore: () => void (console[method] = original) };
}
