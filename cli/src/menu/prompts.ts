import input from '@inquirer/input';
import password from '@inquirer/password';
import { CliError } from '../errors.js';
import type { Painter } from '../output.js';
import { menuPrompt, type MenuPromptConfig } from './menu-prompt.js';
import type { PromptScreen } from './prompt-screen.js';

/** Thrown when the user cancels a prompt (Ctrl+C); the menu goes back to its list. */
export const CANCELLED = 'cancelled';

/** The menu's questions, each drawn through the PromptScreen so notifications can print above it. */
export class Prompts {
  constructor(
    private readonly stdin: NodeJS.ReadStream,
    private readonly screen: PromptScreen,
    private readonly painter: Painter,
    /** Aborts whatever prompt is open (the menu is quitting). */
    private readonly signal?: AbortSignal,
  ) {}

  menu(config: Omit<MenuPromptConfig, 'painter'>): Promise<string> {
    return this.guard(menuPrompt({ ...config, painter: this.painter }, this.context()));
  }

  text(message: string, options: { default?: string; validate?: (value: string) => string | undefined; required?: boolean } = {}): Promise<string> {
    const validate = (value: string) => {
      if (options.required !== false && value.trim() === '') return 'an answer is needed (Ctrl+C to go back)';
      return options.validate?.(value.trim()) ?? true;
    };
    return this.guard(input({ message, ...(options.default ? { default: options.default } : {}), validate }, this.context())).then((v) => v.trim());
  }

  /** A password, never echoed. */
  secret(message: string, validate?: (value: string) => string | undefined): Promise<string> {
    return this.guard(password({ message, toggleMask: false, validate: (v) => (v ? (validate?.(v) ?? true) : 'the password cannot be empty') }, this.context()));
  }

  private context() {
    return { input: this.stdin, output: this.screen.promptOutput(), ...(this.signal ? { signal: this.signal } : {}) };
  }

  private async guard<T>(prompt: Promise<T>): Promise<T> {
    try {
      return await prompt;
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError') throw new CliError(CANCELLED, 'cancelled');
      throw err;
    }
  }
}
