export { KafkaEventLog, type KafkaEventLogStats } from './kafka-event-log.js';
export { type KafkaEnv, type KafkaEventLogOptions, parseKafkaOptions } from './kafka-options.js';
export { type KafkaLogLevel, kafkaLogCreator, kafkaLogLevel } from './kafka-logging.js';
