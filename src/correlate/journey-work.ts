import type { Journey } from './model.js';
import type { Observation } from './observation.js';

/**
 * A journey while the correlator works on it: the document's record, the observations behind its
 * hops in travel order, and what answer matching learnt about it for the fate to use later.
 */
export interface JourneyWork {
  journey: Journey;
  hops: Observation[];
  /** The first hop of this request's first answer. */
  answerFirstHop?: Observation;
  /** The interface this answer's request was first seen on (first answers only). */
  requestIface?: string;
  /** How many answers this request has had. */
  answers?: number;
  /** The keys this request waits under, to forget them once its fate is decided. */
  waitKeys?: number[];
}
