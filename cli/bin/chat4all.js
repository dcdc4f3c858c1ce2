#!/usr/bin/env node
// The `chat4all` command: registers tsx so the TypeScript sources run as they are, then starts the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
// main() settles only when the command is over; exit then even if a socket or timer lingers.
process.exit(await main(process.argv.slice(2)));
