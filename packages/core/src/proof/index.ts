export {
  HASH_SIZE,
  leafHash,
  nodeHash,
  rootOf,
  inclusionProof,
  consistencyProof,
  verifyInclusion,
  verifyConsistency,
} from './merkle.js';
export {
  MAX_NOTE_SIGNATURES,
  NoteError,
  isValidKeyName,
  keyHash,
  verifierKey,
  parseVerifierKey,
  signNote,
  cosignNote,
  openNote,
  type NoteErrorReason,
  type ParsedVerifierKey,
  type OpenedNote,
} from './signed-note.js';
export { CheckpointError, formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.js';
