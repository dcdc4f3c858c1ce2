export { RouterWorker, CONSUMER_GROUP, STORE_WINDOW, type RouterWorkerOptions } from './worker.js';
export { storeMessage, storeReceipt, type HandlerDeps } from './handlers.js';
