// A flow's state is Zeek's conn_state, decided from its history letters as Zeek's conn/main.zeek decides
// it from the endpoints' states (upper case: the client, lower case: the server).
import { describe, expect, it } from 'vitest';
import { connState } from '../../src/correlate/flows.js';
import { connStateWords } from '../../src/report/conn-state.js';
import type { ConnState } from '../../src/correlate/model.js';

const CASES: [string, ConnState][] = [
  ['S', 'S0'], // a SYN, nothing back
  ['ShAD', 'S1'], // established, still open
  ['ShADadFf', 'SF'], // closed by FIN both ways
  ['ShADadfF', 'SF'],
  ['Sr', 'REJ'], // the server reset the SYN
  ['ShR', 'RSTO'], // the client reset after the SYN-ACK (a hairpin answer it never asked for)
  ['ShADadR', 'RSTO'],
  ['ShADadr', 'RSTR'],
  ['ShADF', 'S2'], // the client closed, the server did not
  ['ShADaf', 'S3'], // the server closed, the client did not
  ['SR', 'RSTOS0'], // the client gave up on its own SYN
  ['SDR', 'RSTOS0'],
  ['SAR', 'OTH'],
  ['hr', 'RSTRH'], // a SYN-ACK then the server's reset, no SYN captured
  ['SF', 'SH'], // a SYN then a FIN, no answer
  ['hf', 'SHR'],
  ['Dd', 'OTH'], // mid-stream
  ['Aa', 'OTH'],
];

describe('conn_state from the history', () => {
  it.each(CASES)('%s is %s', (history, state) => {
    expect(connState(history)).toBe(state);
  });

  it('words every code for people', () => {
    for (const [, state] of CASES) expect(connStateWords(state)).toMatch(/\w/);
    expect(connStateWords('SF')).toBe('established, closed by FIN both ways');
  });
});
