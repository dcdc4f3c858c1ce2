import { type Decoded, type MessageRecord, type ReceiptRecord, decodeMessageRecord as decodeMessage, decodeReceiptRecord as decodeReceipt } from '@chat4all/contract';
import { invalid } from '@chat4all/core';

/**
 * The contract's record decoders, with a refusal thrown as `invalid`: the dead-letter policy
 * puts such a record aside at once (poison), with the contract's code (record_field, ...) and message.
 */
function orPoison<T>(result: Decoded<T>): T {
  if (!result.ok) throw invalid(result.error.code, result.error.message, result.error.field === undefined ? undefined : [{ field: result.error.field, message: result.error.message }]);
  return result.value;
}

export const decodeMessageRecord = (value: Buffer | string): MessageRecord => orPoison(decodeMessage(value));
export const decodeReceiptRecord = (value: Buffer | string): ReceiptRecord => orPoison(decodeReceipt(value));
