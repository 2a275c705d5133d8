import { Figure } from './report';

export interface ScenarioOptions {
  /** A few seconds per scenario: smoke tests, not stable p99. */
  quick: boolean;
}

export interface ScenarioResult {
  figures: Figure[];
  /** Plain statements printed under the table, e.g. target checks. Targets are reported, never asserted. */
  notes: string[];
}

export interface Scenario {
  name: string;
  /** One line for `--help`. */
  summary: string;
  run(options: ScenarioOptions): Promise<ScenarioResult>;
}

/** Progress goes to stderr so stdout carries only the tables. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
