export {
  COSIGNATURE_V1_ED25519,
  checkCosignatureLines,
  cosignCheckpoint,
  cosignatureKeyId,
  cosignatureMessage,
  generateWitnessKey,
  parseSignatureLines,
  parseWitnessKey,
  parseWitnessSigner,
  splitSignedNote,
  verifyCosignatures,
  type Cosignature,
  type CosignatureProblem,
  type SignatureLine,
  type WitnessKey,
  type WitnessSigner,
} from './cosignature.js';
export { WitnessPolicyError, parseWitnessPolicy, quorumMet, witnessNames, type PolicyGroup, type PolicyWitness, type WitnessPolicy } from './policy.js';
export { checkWitnesses, parseWitnessList, type WitnessCheck, type WitnessList } from './witness-check.js';
export {
  AddCheckpointError,
  MAX_PROOF_LINES,
  decideAddCheckpoint,
  formatAddCheckpoint,
  parseAddCheckpoint,
  type AddCheckpointOutcome,
  type AddCheckpointRequest,
  type RecordedCheckpoint,
} from './add-checkpoint.js';
export { addWitnessCheck } from './bundle-witnesses.js';
