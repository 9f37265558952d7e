#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (no build): `node --import tsx bin/dev.js summary x.heapsnapshot`.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
