// Starts one Postgres for the whole test run; test files get their own database on it.
import type { TestProject } from "vitest/node";
import { startTestPostgres } from "./postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const pg = await startTestPostgres();
  project.provide("pgUrl", pg.url);
  return () => pg.stop();
}
