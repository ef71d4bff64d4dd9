/**
 * Runs the view scenarios against any backend:
 *   describeViewScenarios('postgres', (schemas) => createPostgresBackend(schemas));
 * Each scenario gets a fresh backend.
 */
import { describe, expect, it } from 'vitest';
import type { Schema } from '../src/index.ts';
import { checkExpectation, viewScenarios, type ScenarioBackend } from './scenarios.ts';

export function describeViewScenarios(
  label: string,
  createBackend: (schemas: readonly Schema[]) => ScenarioBackend | Promise<ScenarioBackend>,
): void {
  describe(`view scenarios (${label})`, () => {
    for (const scenario of viewScenarios) {
      it(scenario.name, async () => {
        const backend = await createBackend(scenario.schemas ?? []);
        for (const [stepIndex, step] of scenario.steps.entries()) {
          for (const delta of step.ingest) await backend.ingest([delta]);
          for (const expectation of step.expect) {
            const { actual, expected } = await checkExpectation(backend, scenario, expectation);
            expect(actual, `step ${stepIndex}: ${JSON.stringify(expectation, (_k, v: unknown) => (typeof v === 'function' ? '<fn>' : v))}`).toEqual(expected);
          }
        }
      });
    }
  });
}
