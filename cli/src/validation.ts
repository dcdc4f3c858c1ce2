/** Client-side checks that mirror the API's rules, to fail before asking for a password. */

export const USERNAME_RULE = '3 to 32 characters: lowercase letters, digits and _';

/** An error message, or undefined when `username` is acceptable. */
export function checkUsername(username: string): string | undefined {
  return /^[a-z0-9_]{3,32}$/.test(username) ? undefined : `"${username}" is not a valid username (${USERNAME_RULE})`;
}

export function checkPassword(password: string): string | undefined {
  const length = [...password].length;
  return length >= 8 && length <= 128 ? undefined : 'a password has 8 to 128 characters';
}

/** Message content: 1 to 10,240 UTF-8 bytes. */
export function checkContent(content: string): string | undefined {
  if (content.length === 0) return 'a message cannot be empty';
  const bytes = Buffer.byteLength(content, 'utf8');
  return bytes <= 10_240 ? undefined : `a message has at most 10,240 bytes (this one has ${bytes})`;
}
