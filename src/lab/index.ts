export { runLab, LabError, labUnavailableReason, existingNamespaces, trafficArgv, SERVED_FILE_BYTES, INDEX_FILE_BYTES } from './run.js';
export type { LabOptions, LabResult, LabStepResult } from './run.js';
export { planAddresses, isDocumentation } from './safety.js';
