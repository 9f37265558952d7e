// Vitest runs the example only (the project's own tests run under node:test).
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['examples/vitest.test.mjs'], pool: 'forks', testTimeout: 60_000 } });
