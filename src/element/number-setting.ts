/**
 * How the numeric attributes and properties (`queue-limit`, `reconnect-delay`,
 * `connect-timeout`, …) read what they are given. Attributes are strings, and frameworks and
 * hand-written pages set properties to strings too (`el.maxRetries = '0'`), so both go
 * through this one rule:
 *
 * - a number, or a string holding one (`'5000'`, `' 5e3 '`, `'Infinity'`), that is zero or
 *   more is that number;
 * - anything else (`''`, `'abc'`, `'12px'`, a negative number, `NaN`, `null`, `true`) is
 *   null: the setting's default, as if the attribute were absent.
 *
 * An empty attribute must not mean 0: for `heartbeat-timeout`, `queue-limit` and
 * `max-retries`, 0 switches a mode (every ping fails, nothing queues, no reconnecting).
 */
export function numberSetting(value: unknown): number | null {
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string' && value.trim() !== '') number = Number(value);
  else return null;
  return number >= 0 ? number : null; // also false for NaN
}

/** What numberSetting() made of each numeric setting given; null or absent is the default. */
export type NumberSettings = Partial<Record<'queueLimit' | 'reconnectDelay' | 'reconnectMaxDelay' | 'maxRetries' | 'connectTimeout' | 'heartbeat' | 'heartbeatTimeout' | 'requestTimeout', number | null>>;
