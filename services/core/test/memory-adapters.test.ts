import { MemoryAttachmentStore, MemoryBroker, MemoryBrokerHub, MemoryConversationStore, MemoryEventLog, MemoryMessageStore, MemoryPresence, MemoryUserStore } from '../src/memory/index.js';
import { describeAttachmentStore, describeBroker, describeConversationStore, describeEventLog, describeMessageStore, describePresence, describeUserStore } from '../src/testing/index.js';

describeEventLog('memory', async () => new MemoryEventLog());
const hub = new MemoryBrokerHub();
describeBroker('memory', async () => new MemoryBroker(hub));
describePresence('memory', async () => new MemoryPresence());
describeUserStore('memory', async () => new MemoryUserStore());
describeConversationStore('memory', async () => new MemoryConversationStore());
describeMessageStore('memory', async () => new MemoryMessageStore());
describeAttachmentStore('memory', async () => new MemoryAttachmentStore());
