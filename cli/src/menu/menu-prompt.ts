import { createPrompt, isDownKey, isEnterKey, isNumberKey, isUpKey, makeTheme, useEffect, useKeypress, usePrefix, useRef, useState, type KeypressEvent } from '@inquirer/core';
import type { Painter } from '../output.js';

export interface MenuItem {
  /** What the user types to pick it ("1", "12", "0"); also the prompt's answer. */
  key: string;
  label: string;
}

/** What the menu shows; read again at each render, so it can change while the menu is open. */
export interface MenuView {
  message: string;
  items: MenuItem[];
}

export interface MenuPromptConfig {
  view: () => MenuView;
  /** Subscribes to changes of the view (the open menu is drawn again); returns the unsubscribe. */
  changes?: (listener: () => void) => () => void;
  /** The key highlighted at first. */
  default?: string;
  painter: Painter;
}

const CURSOR_HIDE = '\u001b[?25l';

/** How long typed digits wait for the next one ("1" then "2" is 12). */
const DIGIT_WINDOW_MS = 1_000;

/**
 * A numbered menu: arrow keys move, digits jump to the item with that number ("1", "12", "0"),
 * Enter picks. Answers the picked item's key.
 */
export const menuPrompt = createPrompt<string, MenuPromptConfig>((config, done) => {
  const { painter: p } = config;
  const { message: title, items } = config.view();
  const theme = makeTheme();
  const [status, setStatus] = useState<'idle' | 'done'>('idle');
  const [, setVersion] = useState(0);
  useEffect(() => config.changes?.(() => setVersion((v) => v + 1)), []);
  const [active, setActive] = useState(Math.max(0, items.findIndex((i) => i.key === config.default)));
  const typed = useRef('');
  const typedAt = useRef(0);
  const prefix = usePrefix({ status, theme });

  useKeypress((key: KeypressEvent, rl) => {
    if (status === 'done') return;
    if (isEnterKey(key)) {
      const item = items[active];
      if (!item) return;
      setStatus('done');
      done(item.key);
      return;
    }
    rl.clearLine(0);
    if (isUpKey(key) || isDownKey(key)) {
      typed.current = '';
      setActive((active + (isUpKey(key) ? items.length - 1 : 1)) % items.length);
    } else if (isNumberKey(key)) {
      const now = Date.now();
      let candidate = now - typedAt.current < DIGIT_WINDOW_MS ? typed.current + key.name : key.name;
      if (!items.some((i) => i.key.startsWith(candidate))) candidate = key.name;
      typed.current = candidate;
      typedAt.current = now;
      const index = items.findIndex((i) => i.key === candidate);
      if (index !== -1) setActive(index);
    }
  });

  const message = theme.style.message(title, status);
  const picked = items[active];
  if (status === 'done') return `${prefix} ${message} ${theme.style.answer(picked?.label ?? '')}`;
  const width = Math.max(...items.map((i) => i.key.length));
  const lines = items.map((item, index) => {
    const text = `${item.key.padStart(width)}) ${item.label}`;
    return index === active ? p.paint('cyan', `❯ ${text}`) : `  ${text}`;
  });
  return `${[`${prefix} ${message}`, ...lines, p.paint('dim', '↑↓ or a number, then Enter')].join('\n')}${CURSOR_HIDE}`;
});
