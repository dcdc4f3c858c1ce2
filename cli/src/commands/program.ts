import { Command } from 'commander';
import { EXIT_USAGE } from '../errors.js';
import { addAuthCommands } from './auth.js';
import type { CliContext, CliIo } from './context.js';
import { addConversationCommands } from './conversations.js';
import { addDownloadCommand } from './download.js';
import { addListenCommand } from './listen.js';
import { addMessageCommands } from './messages.js';
import type { Run } from './run.js';

/**
 * The `chat4all` command line. Usage errors (unknown command or option, missing or bad argument)
 * end in a CommanderError with exit code 2 after a one-line message and a usage line on stderr;
 * with `json`, after one line `{"error": {"code": "usage", "message", "usage"}}` instead.
 */
export function buildProgram(io: CliIo, run: Run, version: string, json = false): Command {
  const program = new Command('chat4all');
  program
    .description('Chat4All from the command line. With no command, the interactive menu starts.')
    .usage('[options] [command]')
    .version(version, '-V, --version')
    .option('--api-url <url>', 'the HTTP API (default: $CHAT4ALL_API_URL, else http://localhost:8080)')
    .option('--ws-url <url>', 'the WebSocket gateway (default: $CHAT4ALL_WEBSOCKET_URL, else ws://localhost:8085)')
    .option('--json', 'machine-readable output on stdout (one JSON object per line for listen)')
    .option('--no-color', 'never colour the output (NO_COLOR=1 does the same)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .argument('[command...]')
    .action((words: string[]) => {
      if (words.length > 0) {
        program.error(`error: unknown command '${words[0]}'`, { exitCode: EXIT_USAGE, code: 'commander.unknownCommand' });
      }
      return run(runInteractiveMenu);
    });

  program
    .command('menu')
    .description('the interactive menu (the default when no command is given)')
    .action(() => run(runInteractiveMenu));
  addAuthCommands(program, run);
  addConversationCommands(program, run);
  addMessageCommands(program, run);
  addDownloadCommand(program, run);
  addListenCommand(program, run);

  forEachCommand(program, (command, path) => {
    const usage = `${path} ${command.usage()}`;
    if (!json) {
      command.showHelpAfterError(`usage: ${usage}\n(see \`${path} --help\`)`);
      return;
    }
    command.configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text) => io.stderr.write(`${JSON.stringify({ error: { code: 'usage', message: text.trim().replace(/^error: /, ''), usage } })}\n`),
    });
  });
  return program;
}

/** The menu and its prompt library load only when the menu runs: subcommands start faster. */
async function runInteractiveMenu(ctx: CliContext): Promise<void> {
  const { runInteractiveMenu: runMenu } = await import('../menu/menu.js');
  await runMenu(ctx);
}

function forEachCommand(command: Command, visit: (command: Command, path: string) => void, path = command.name()): void {
  visit(command, path);
  for (const sub of command.commands) forEachCommand(sub, visit, `${path} ${sub.name()}`);
}
