import type { BackendHealth } from '../domain/health.js';
import type { ConversationChangeListener, ConversationChanges } from '../ports/conversation-changes.js';

/** The feed that in-memory instances share: one hub per process stands for one Redis. */
export class MemoryConversationChangesHub {
  readonly instances = new Set<MemoryConversationChanges>();
}

/** ConversationChanges in one process. Listeners hear a change before `publish` resolves. */
export class MemoryConversationChanges implements ConversationChanges {
  readonly backendName = 'memory';
  private listener: ConversationChangeListener | undefined;
  private closed = false;

  constructor(readonly hub: MemoryConversationChangesHub = new MemoryConversationChangesHub()) {}

  health(): BackendHealth {
    return this.closed ? { status: 'down', detail: 'closed' } : { status: 'up' };
  }

  async publish(conversationId: string): Promise<void> {
    for (const instance of this.hub.instances) instance.listener?.changed(conversationId);
  }

  async listen(listener: ConversationChangeListener): Promise<void> {
    this.listener = listener;
    this.hub.instances.add(this);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.hub.instances.delete(this);
  }
}
