import jwt from 'jsonwebtoken';

/** A registered user with a token signed by the benchmark (same secret as the servers). */
export interface BenchUser {
  userId: string;
  username: string;
  token: string;
}

async function call(base: string, method: string, path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export function signToken(jwtSecret: string, userId: string, username: string, ttlSeconds = 4 * 3600): string {
  const iat = Math.floor(Date.now() / 1000);
  return jwt.sign({ sub: userId, username, iat, exp: iat + ttlSeconds }, jwtSecret, { algorithm: 'HS256' });
}

/** Registers `username` (a password hash costs the api tens of milliseconds: register few). */
export async function register(base: string, jwtSecret: string, username: string): Promise<BenchUser> {
  const r = await call(base, 'POST', '/auth/register', { username, password: 'bench-password-1' });
  if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  const userId = r.body.user_id as string;
  return { userId, username, token: signToken(jwtSecret, userId, username) };
}

/** Opens (or finds) the direct conversation of `a` with `b`; returns its id. */
export async function directConversation(base: string, a: BenchUser, b: BenchUser): Promise<string> {
  const r = await call(base, 'POST', '/v1/conversations', { type: 'direct', members: [b.userId] }, a.token);
  if (r.status !== 201 && r.status !== 200) throw new Error(`conversation: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.conversation_id as string;
}

/** `pairs` sender/recipient pairs, each with its direct conversation, registered a few at a time. */
export async function makePairs(base: string, jwtSecret: string, tag: string, pairs: number): Promise<{ sender: BenchUser; recipient: BenchUser; conversationId: string }[]> {
  const out: { sender: BenchUser; recipient: BenchUser; conversationId: string }[] = [];
  for (let i = 0; i < pairs; i += 4) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(4, pairs - i) }, async (_, k) => {
        const sender = await register(base, jwtSecret, `b${tag}s${i + k}`);
        const recipient = await register(base, jwtSecret, `b${tag}r${i + k}`);
        return { sender, recipient, conversationId: await directConversation(base, sender, recipient) };
      }),
    );
    out.push(...batch);
  }
  return out;
}
