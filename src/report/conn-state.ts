import type { ConnState } from '../correlate/model.js';

/**
 * A person's words for Zeek's conn_state codes, which the document carries: the report and the terminal
 * say them, the code stays what tools that read conn.log match on.
 */
const WORDS: Record<ConnState, string> = {
  S0: 'no answer to the SYN',
  S1: 'established',
  SF: 'established, closed by FIN both ways',
  REJ: 'refused (reset by the server)',
  S2: 'established, closed by the client only',
  S3: 'established, closed by the server only',
  RSTO: 'reset by the client',
  RSTR: 'reset by the server',
  RSTOS0: 'abandoned by the client: a SYN, then its own reset, with no answer',
  RSTRH: 'reset by the server after its SYN-ACK, no SYN from the client captured',
  SH: 'a SYN, then a FIN from the client, with no answer',
  SHR: 'a SYN-ACK, then a FIN from the server, no SYN from the client captured',
  OTH: 'seen mid-stream (no handshake captured)',
};

export function connStateWords(state: ConnState): string {
  return WORDS[state];
}
