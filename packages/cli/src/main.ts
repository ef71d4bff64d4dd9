#!/usr/bin/env node
// The `rhizome` executable: run the command line, then exit with its code.
import { createProcessIo } from './io.ts';
import { run } from './run.ts';

const code = await run(process.argv.slice(2), createProcessIo());
// Exit explicitly: idle keep-alive sockets of fetch would otherwise hold the process for seconds.
// Writes to a pipe or file are synchronous on Linux and macOS, so nothing printed is lost.
process.exit(code);
