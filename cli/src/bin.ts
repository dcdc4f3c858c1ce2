/**
 * The `chat4all` executable: runs the command line and exits with its status. This file is what
 * the package ships, bundled with everything it imports (cli/dist/chat4all.mjs, `make cli-package`).
 */
import { main } from './main.js';

/** How often a program started by `npx` checks that npx is still there. */
const PARENT_CHECK_MS = 500;

/**
 * `npx chat4all …` runs this process under `npm exec`, which exits on SIGTERM without passing the
 * signal on: the CLI would be left running with no one to stop it. Under npm exec, the CLI treats
 * the end of its parent like a SIGTERM of its own (`listen` then stops as it does on Ctrl+C).
 */
function stopWithParentUnderNpx(): void {
  if (process.env.npm_command !== 'exec') return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, PARENT_CHECK_MS);
  timer.unref();
}

stopWithParentUnderNpx();
// main() settles only when the command is over; exit then even if a socket or timer lingers.
process.exit(await main(process.argv.slice(2)));
