export { RouterWorker, CONSUMER_GROUP, type RouterWorkerOptions } from './worker.js';
export { handleMessage, handleReceipt, type HandlerDeps } from './handlers.js';
