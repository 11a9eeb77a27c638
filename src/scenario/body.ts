import type { Step } from './types.js';

type Base = 'line' | 'text' | 'place' | 'argv';
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A step as a command parser returns it; `parseScenario` adds line, text, place and argv. */
export type StepBody = DistributiveOmit<Step, Base>;
