#!/usr/bin/env node
// Runs the TypeScript sources straight from the repository, so there is no build between an edit
// and a run. The published package points its bin at the compiled dist/main.js instead.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
