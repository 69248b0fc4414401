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
export { CheckpointError, formatCheckpoint, parseCheckpoint, readCheckpointNote, type Checkpoint } from './checkpoint.js';
export {
  CompactRange,
  perfectSubtrees,
  hashOfSubtrees,
  inclusionProofRanges,
  consistencyProofRanges,
  type NodeRef,
} from './tree-ranges.js';
export {
  TLOG_PROOF_HEADER,
  CONSISTENCY_PROOF_HEADER,
  TlogProofError,
  formatTlogProof,
  parseTlogProof,
  formatConsistencyProof,
  parseConsistencyProof,
  type TlogProof,
  type ConsistencyProofText,
} from './tlog-proof.js';
export {
  generateSignerKey,
  parseSignerKey,
  parseSignerKeys,
  signNoteWithKeys,
  TrustFileError,
  parseTrustFile,
  formatTrustFile,
  keysValidAt,
  logKeysValidAt,
  type SignerKey,
  type TrustedKey,
} from './log-keys.js';
export {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_V2,
  BUNDLE_FORMAT_V1,
  BUNDLE_FORMATS,
  BOUND_FILES,
  EVENTS_FILE,
  INCLUSION_FILE,
  eventLine,
  type BundleFormat,
  EXPORT_EVENT_KIND,
  BundleBuildError,
  buildBundleFiles,
  eventFile,
  proofFile,
  blobFile,
  consistencyFile,
  STORY_FILE,
  PEOPLE_FILE,
  type BundlePerson,
  type BundleInput,
  type BundleManifest,
  type Disclosed,
} from './bundle.js';
export { verifyBundle, type VerifyBundleOptions } from './verify-bundle.js';
export { BundleZipError, readBundleZip } from './bundle-zip.js';
export { writeStory, storyLine, storyLineOf, storyNames } from './bundle-story.js';
export { leafHashBase64, leafHashLatin1 } from './batch-inclusion.js';
export { formatBundleReport, type BundleReport, type BundleCheck } from './bundle-report.js';
export { inertJson, inertText, quoteUntrusted } from './inert-text.js';
