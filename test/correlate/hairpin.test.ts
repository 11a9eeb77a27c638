// Hairpin NAT, recorded by the lab on Linux 6.18 with br_netfilter on (samples/hairpin) and off
// (samples/hairpin-bypassed): c1 (172.17.0.2) calls its neighbour c2 (172.17.0.3:80) through the
// host's published 203.0.113.108:8080, captured on veth1a2b3c4 (c1), veth5d6e7f8 (c2) and docker0.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import type { AnalysisWork } from '../../src/correlate/analyze.js';
import { analyzeSample } from '../helpers/samples.js';
import type { Journey } from '../../src/correlate/model.js';
import { TCP_RST, TCP_SYN, TCP_ACK } from '../../src/correlate/observation.js';
import { REPO } from '../helpers/tools.js';

const analyze = analyzeSample;

const path = (j: Journey): string[] => j.hops.map((h) => h.interface);
const flagsOf = (w: AnalysisWork, j: Journey): number => w.hopsOf(j)[0].tcpFlags ?? 0;
const isSyn = (w: AnalysisWork, j: Journey): boolean => j.kind === 'tcp' && (flagsOf(w, j) & (TCP_SYN | TCP_ACK)) === TCP_SYN;
const isSynAck = (w: AnalysisWork, j: Journey): boolean => j.kind === 'tcp' && (flagsOf(w, j) & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
const DNAT = { type: 'dnat', before: '203.0.113.108:8080', after: '172.17.0.3:80' };
const REVERSED = { type: 'snat', before: '172.17.0.3:80', after: '203.0.113.108:8080' };

/** Every frame is a hop of exactly one journey, and every TCP packet crossed c1's veth once. */
function expectOneJourneyPerPacket(w: AnalysisWork, frames: number): void {
  const hops = w.analysis.journeys.flatMap((j) => j.hops.map((h) => h.frame));
  expect(hops.length).toBe(frames);
  expect(new Set(hops).size).toBe(frames);
  const tcp = w.analysis.journeys.filter((j) => j.kind === 'tcp');
  for (const j of tcp) expect(path(j).filter((i) => i === 'veth1a2b3c4')).toHaveLength(1);
}

describe('hairpin NAT with br_netfilter (samples/hairpin)', () => {
  it('each copy the host makes of a packet is a hop of its one journey, with the DNAT on the bridge', async () => {
    const w = await analyze('hairpin');
    expectOneJourneyPerPacket(w, 83);
    const tcpFramesOnC1 = w.analysis.journeys.filter((j) => j.kind === 'tcp').length;
    expect(tcpFramesOnC1).toBe(16);
    const fromClient = w.analysis.journeys.filter((j) => j.kind === 'tcp' && j.hops[0].src === '172.17.0.2');
    expect(fromClient).toHaveLength(8);
    for (const j of fromClient) {
      // Bridged with the DNAT, then the bridge's copy routed back onto docker0 and to c2 once more.
      expect([...path(j)].sort()).toEqual(['docker0', 'docker0', 'docker0', 'veth1a2b3c4', 'veth5d6e7f8', 'veth5d6e7f8']);
      expect(j.hops[0].interface).toBe('veth1a2b3c4');
      expect(j.steps[0]).toMatchObject({ from: 'veth1a2b3c4', to: 'docker0', kind: 'bridged', nat: DNAT });
      expect(j.steps.filter((s) => s.nat)).toHaveLength(1);
      expect(j.steps.filter((s) => s.kind === 'routed')).toHaveLength(1);
      expect(j.fate === 'delivered' || j.fate === 'answered').toBe(true);
      expect(j.retransmission).toBeUndefined();
    }
    const syn = fromClient.find((j) => isSyn(w, j))!;
    expect(path(syn)).toEqual(['veth1a2b3c4', 'docker0', 'veth5d6e7f8', 'docker0', 'docker0', 'veth5d6e7f8']);
    expect(syn.fate).toBe('answered');
  });

  it("c2's answers are bridged back with conntrack reversing the DNAT; the SYN-ACK to the SYN's second copy is no retransmission", async () => {
    const w = await analyze('hairpin');
    const answers = w.analysis.journeys.filter((j) => j.kind === 'tcp' && j.hops[0].src === '172.17.0.3');
    expect(answers).toHaveLength(8);
    for (const j of answers) {
      expect(path(j)).toEqual(['veth5d6e7f8', 'docker0', 'veth1a2b3c4']);
      expect(j.steps).toMatchObject([
        { from: 'veth5d6e7f8', to: 'docker0', kind: 'bridged' },
        { from: 'docker0', to: 'veth1a2b3c4', kind: 'bridged', nat: REVERSED },
      ]);
      expect(j.steps[0].nat).toBeUndefined();
      expect(j.fate).toBe('delivered');
      expect(j.retransmission).toBeUndefined();
    }
    const syn = w.analysis.journeys.find((j) => isSyn(w, j))!;
    const synAcks = answers.filter((j) => isSynAck(w, j));
    expect(synAcks.map((j) => j.answerOf)).toEqual([syn.id, syn.id]);
    expect(syn.answeredBy).toBe(synAcks[0].id);
    expect(synAcks.map((j) => j.answersCopy)).toEqual([undefined, true]);
  });

  it('no finding, and the NAT table shows the DNAT binding as conntrack would', async () => {
    const w = await analyze('hairpin');
    expect(w.analysis.findings).toEqual([]);
    expect(w.analysis.flows).toHaveLength(1);
    expect(w.analysis.flows[0].retransmissions).toBeUndefined();
    const port = w.analysis.flows[0].client.split(':')[1];
    expect(w.analysis.nat).toEqual([
      {
        protocol: 'tcp',
        original: { src: '172.17.0.2', dst: '203.0.113.108', sport: Number(port), dport: 8080 },
        reply: { src: '172.17.0.3', dst: '172.17.0.2', sport: 80, dport: Number(port) },
        types: ['dnat'],
        interface: 'veth1a2b3c4',
        flow: 1,
      },
    ]);
  });
});

describe('hairpin NAT without br_netfilter (samples/hairpin-bypassed)', () => {
  it('the routed, DNATed SYN joins the SYN it was: one journey, answered by the untranslated SYN-ACK', async () => {
    const w = await analyze('hairpin-bypassed');
    expectOneJourneyPerPacket(w, 111);
    const syns = w.analysis.journeys.filter((j) => isSyn(w, j));
    expect(syns).toHaveLength(9);
    for (const j of syns) {
      expect(path(j)).toEqual(['veth1a2b3c4', 'docker0', 'docker0', 'veth5d6e7f8']);
      expect(j.steps[1]).toMatchObject({ from: 'docker0', to: 'docker0', kind: 'routed', nat: DNAT });
      expect(j.fate).toBe('answered');
      const answer = w.analysis.journeys.find((a) => a.id === j.answeredBy)!;
      expect(isSynAck(w, answer)).toBe(true);
      expect(path(answer)).toEqual(['veth5d6e7f8', 'docker0', 'veth1a2b3c4']);
      // Bridged straight back: nothing reversed the DNAT.
      expect(answer.steps.some((s) => s.nat)).toBe(false);
      expect(answer.hops[2]).toMatchObject({ src: '172.17.0.3', sport: 80, dst: '172.17.0.2' });
      expect(answer.fate).toBe('delivered');
    }
    // The first SYN, then 8 sent again after a timeout: true retransmissions, still reported.
    expect(syns.filter((j) => j.retransmission)).toHaveLength(8);
  });

  it('nat-bypassed names the untranslated answer, the reset it caused and both fixes; no drop, no "no answer"', async () => {
    const w = await analyze('hairpin-bypassed');
    const codes = w.analysis.findings.map((f) => f.code);
    expect(codes).toEqual(['nat-bypassed', 'retransmission']);
    const f = w.analysis.findings[0];
    expect(f.severity).toBe('error');
    const port = w.analysis.flows[0].client.split(':')[1];
    expect(f.message).toContain(`9 TCP SYN-ACKs of the connection 172.17.0.2:${port} -> 203.0.113.108:8080 came back untranslated`);
    expect(f.message).toContain(`from 172.17.0.3:80 to 172.17.0.2:${port} on veth1a2b3c4, instead of from 203.0.113.108:8080`);
    expect(f.message).toContain('9 TCP RSTs to 172.17.0.3:80');
    expect(f.message).toContain('sysctl -w net.bridge.bridge-nf-call-iptables=1');
    expect(f.message).toContain('-d 172.17.0.3 -p tcp --dport 80 -j MASQUERADE');
    const resets = w.analysis.journeys.filter((j) => j.kind === 'tcp' && (flagsOf(w, j) & TCP_RST) !== 0);
    expect(resets).toHaveLength(9);
    const synAcks = w.analysis.journeys.filter((j) => isSynAck(w, j));
    // Each reset answers the SYN-ACK just before it (its sequence number is that SYN-ACK's acknowledgement).
    expect(resets.map((j) => j.resetOf)).toEqual(synAcks.map((j) => j.id));
    expect(f.journeys).toEqual([...synAcks.map((j) => j.id), ...resets.map((j) => j.id)]);
  });
});

describe('nat-bypassed is a promise that something is broken', () => {
  // A sample recorded per host (vxlan-overlay) has a capture per host and no capture.pcapng.
  const others = readdirSync(join(REPO, 'samples')).filter((s) => s !== 'hairpin-bypassed' && existsSync(join(REPO, 'samples', s, 'capture.pcapng')));
  it.each(others)('%s: none', async (sample) => {
    const map = sample === 'any-capture' ? new Map([[2, 'eth0'], [3, 'docker0'], [4, 'veth1a2b3c4']]) : undefined;
    const w = await analyze(sample, map);
    expect(w.analysis.findings.filter((f) => f.code === 'nat-bypassed')).toEqual([]);
  });
});
