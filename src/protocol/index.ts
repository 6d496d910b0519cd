/**
 * The wire rules both halves share: frame shapes and reserved types, decoding, encoding, the
 * reply error and the close codes. No DOM and no Node: `tsconfig.json` in this folder checks
 * it against bare ES2022. Import the files themselves where size matters; this is for the rest.
 */
export { PROTOCOL_VERSION, RESERVED_TYPES, typeProblem } from './frames.js';
export type { Answer, Envelope, ReplyErrorBody, ReplyFrame } from './frames.js';
export { decodeFrame, readFrame } from './decode.js';
export type { Decoded } from './decode.js';
export { encodeFrame, encodeReply } from './encode.js';
export { ReplyError } from './reply-error.js';
export { CloseCode, isSendableCloseCode } from './close-codes.js';
