/**
 * What `latch verify <bundle>` needs, and nothing else: the strict zip reader, the offline verifier,
 * trust and witness files, and the report. The package's main entry also loads the policy engine
 * (CEL, protobuf) and every case-type module, which costs an auditor more time than verifying a
 * ten-thousand-event bundle; this entry (`@latch/core/verify`) loads in a quarter of it.
 */
export { BundleZipError, crcMismatch, readBundleZip, type UncheckedCrc } from './proof/bundle-zip.js';
export { verifyBundle, type VerifyBundleOptions } from './proof/verify-bundle.js';
export { formatBundleReport, type BundleReport, type BundleCheck } from './proof/bundle-report.js';
export { inertJson, inertText } from './proof/inert-text.js';
export { parseTrustFile, TrustFileError, type TrustedKey } from './proof/log-keys.js';
export { addWitnessCheck } from './witness/bundle-witnesses.js';
export { parseWitnessList, type WitnessList } from './witness/witness-check.js';
