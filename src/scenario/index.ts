export { parseScenario } from './parse.js';
export { ScenarioError } from './errors.js';
export type * from './types.js';
