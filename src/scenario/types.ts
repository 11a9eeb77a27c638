/**
 * The scenario language of SCENARIOS.md as typed steps. `emulate` executes them against a model and
 * `lab` runs them for real; both read the same `Scenario`, so a field here is a promise to both.
 */

/** Where a command runs. The host is a namespace of its own in `lab`, never the machine's. */
export type Place =
  | { kind: 'host' }
  | { kind: 'netns'; name: string }
  /** The client at the uplink's gateway address (`outside COMMAND`). */
  | { kind: 'outside' }
  /** A container made by `docker run` (`docker exec N COMMAND`, or the command of `docker run`). */
  | { kind: 'container'; name: string };

/** An address with its prefix length: `10.0.0.2/24`; a bare address has the full length. */
export interface Cidr {
  address: string;
  prefixLen: number;
  family: 4 | 6;
}

export interface PortRange {
  from: number;
  to: number;
}

/** `[ADDR:]PORT` of the `serve` listeners; no address means every address of the namespace. */
export interface ListenAddress {
  address?: string;
  port: number;
}

interface StepBase {
  /** 1-based line of the scenario file. */
  line: number;
  /** The line as written, trimmed. */
  text: string;
  place: Place;
  /** The command's own words, after `ip netns exec NS`, `outside` or `docker exec N` are taken off. */
  argv: string[];
}

// Directives ---------------------------------------------------------------------------------------

export interface TitleStep extends StepBase {
  kind: 'title';
  title: string;
}

export interface UplinkStep extends StepBase {
  kind: 'uplink';
  iface: string;
  address: Cidr;
  gateway: string;
}

export interface DnsStep extends StepBase {
  kind: 'dns';
  name: string;
  address: string;
}

export type CaptureTarget =
  | { kind: 'any' }
  /** `netns` is the scenario's name (`c1` of `c1:eth0`); absent for an interface of the host. */
  | { kind: 'iface'; iface: string; netns?: string };

export interface CaptureStep extends StepBase {
  kind: 'capture';
  targets: CaptureTarget[];
}

// Setup --------------------------------------------------------------------------------------------

export interface NetnsAddStep extends StepBase {
  kind: 'netns-add';
  name: string;
}

export interface VethAddStep extends StepBase {
  kind: 'veth-add';
  name: string;
  peer: string;
  /** `peer name P netns NS`: the peer is created inside NS. */
  peerNetns?: string;
}

export interface BridgeAddStep extends StepBase {
  kind: 'bridge-add';
  name: string;
}

export type TunnelType = 'vxlan' | 'geneve';

/**
 * `ip link add NAME type vxlan id VNI [local IP] remote IP [dstport PORT] [dev DEV]` or
 * `ip link add NAME type geneve id VNI remote IP [dstport PORT]`: a point-to-point tunnel device.
 */
export interface TunnelAddStep extends StepBase {
  kind: 'tunnel-add';
  name: string;
  type: TunnelType;
  vni: number;
  local?: string;
  remote: string;
  /** As given, or the kernel's default when not: 8472 for VXLAN (Linux's, not IANA's 4789), 6081 for Geneve. */
  dstport: number;
  /** The underlay device: its MTU less 50 is the tunnel's, and encapsulated packets leave by it. */
  dev?: string;
}

export interface LinkSetStep extends StepBase {
  kind: 'link-set';
  dev: string;
  state?: 'up' | 'down';
  /** Move the link into this scenario namespace. */
  netns?: string;
  /** Enslave the link to this bridge. */
  master?: string;
  /** `address MAC`: Docker gives containers 02:42 followed by their IPv4 address. */
  mac?: string;
  mtu?: number;
}

export interface AddrAddStep extends StepBase {
  kind: 'addr-add';
  address: Cidr;
  dev: string;
}

export interface RouteAddStep extends StepBase {
  kind: 'route-add';
  /** `default` or a prefix. */
  destination: 'default' | Cidr;
  via?: string;
  dev?: string;
}

export interface SysctlStep extends StepBase {
  kind: 'sysctl';
  /** `net.ipv4.ip_forward`, `net.ipv4.conf.<iface|all|default>.route_localnet` or `net.bridge.bridge-nf-call-iptables`. */
  key: string;
  value: 0 | 1;
}

export type IptablesTable = 'filter' | 'nat';

/** A match with the `!` that may precede it. */
export interface Negatable<T> {
  value: T;
  negated: boolean;
}

export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'DNAT' | 'SNAT';

export type AddrType = 'LOCAL' | 'UNICAST' | 'BROADCAST' | 'MULTICAST' | 'ANYCAST' | 'BLACKHOLE' | 'UNREACHABLE' | 'PROHIBIT' | 'UNSPEC';

export interface IptablesMatches {
  source?: Negatable<Cidr>;
  destination?: Negatable<Cidr>;
  protocol?: Negatable<'tcp' | 'udp' | 'icmp'>;
  inIface?: Negatable<string>;
  outIface?: Negatable<string>;
  sourcePort?: Negatable<PortRange>;
  destinationPort?: Negatable<PortRange>;
  /** `-m statistic --mode nth --every N --packet P`: the rule matches packet P (0-based) of every N. */
  nth?: { every: number; packet: number };
  /** `-m conntrack --ctstate A,B`. */
  ctstate?: Negatable<CtState[]>;
  /** `-m addrtype --src-type T / --dst-type T`, as Docker's nat PREROUTING uses. */
  srcType?: Negatable<AddrType>;
  dstType?: Negatable<AddrType>;
}

/** `--to-source`/`--to-destination`: `ADDR[-ADDR][:PORT[-PORT]]`, either part optional (`:53`). */
export interface NatTo {
  address?: string;
  addressTo?: string;
  ports?: PortRange;
}

export type IptablesTarget =
  | { kind: 'ACCEPT' }
  | { kind: 'DROP' }
  | { kind: 'RETURN' }
  | { kind: 'MASQUERADE'; toPorts?: PortRange }
  | { kind: 'REDIRECT'; toPorts?: PortRange }
  | { kind: 'SNAT'; toSource: NatTo }
  | { kind: 'DNAT'; toDestination: NatTo }
  | { kind: 'jump'; chain: string };

export type IptablesCommand =
  | { op: 'append'; chain: string; matches: IptablesMatches; target: IptablesTarget }
  /** `-I CHAIN [N]`: position is 1-based, 1 when not given. */
  | { op: 'insert'; chain: string; position: number; matches: IptablesMatches; target: IptablesTarget }
  | { op: 'policy'; chain: 'INPUT' | 'FORWARD' | 'OUTPUT'; policy: 'ACCEPT' | 'DROP' }
  | { op: 'new-chain'; chain: string };

export interface IptablesStep extends StepBase {
  kind: 'iptables';
  table: IptablesTable;
  command: IptablesCommand;
}

// Traffic and listeners ----------------------------------------------------------------------------

export interface PingStep extends StepBase {
  kind: 'ping';
  count: number;
  iface?: string;
  /** `-W S`: seconds to wait for the last reply. */
  waitSeconds?: number;
  destination: string;
}

export interface CurlStep extends StepBase {
  kind: 'curl';
  url: string;
  /** The URL's host: an address or a name resolved through the place's resolver. */
  host: string;
  port: number;
  path: string;
  silent: boolean;
}

export interface DigStep extends StepBase {
  kind: 'dig';
  server?: string;
  name: string;
  type: 'A' | 'AAAA';
  short: boolean;
}

export interface NslookupStep extends StepBase {
  kind: 'nslookup';
  name: string;
  server?: string;
}

export interface ServeHttpStep extends StepBase {
  kind: 'serve-http';
  listen: ListenAddress;
}

export interface ServeDnsStep extends StepBase {
  kind: 'serve-dns';
  listen: ListenAddress;
  records: { name: string; address: string }[];
}

export interface ServeProxyStep extends StepBase {
  kind: 'serve-proxy';
  listen: ListenAddress;
  target: { address: string; port: number };
}

export type TrafficStep = PingStep | CurlStep | DigStep | NslookupStep;
export type ListenerStep = ServeHttpStep | ServeDnsStep | ServeProxyStep;

// Docker -------------------------------------------------------------------------------------------

export interface DockerNetworkCreateStep extends StepBase {
  kind: 'docker-network-create';
  name: string;
  subnet?: Cidr;
}

export interface PublishedPort {
  hostAddress?: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

export type DockerNetworkMode =
  | { kind: 'bridge' }
  | { kind: 'host' }
  | { kind: 'none' }
  | { kind: 'user'; name: string }
  | { kind: 'container'; name: string };

export interface DockerRunStep extends StepBase {
  kind: 'docker-run';
  name: string;
  network: DockerNetworkMode;
  publish: PublishedPort[];
  /** `--ip ADDR` on a user network. */
  ip?: string;
  image: string;
  /** The container's command when it is a traffic or listener command; runs in the container. */
  command?: TrafficStep | ListenerStep;
  /** The container's command words as written (`sleep infinity` is accepted and only keeps it alive). */
  commandArgv: string[];
}

export type DirectiveStep = TitleStep | UplinkStep | DnsStep | CaptureStep;
export type SetupStep =
  | NetnsAddStep
  | VethAddStep
  | BridgeAddStep
  | TunnelAddStep
  | LinkSetStep
  | AddrAddStep
  | RouteAddStep
  | SysctlStep
  | IptablesStep;
export type DockerStep = DockerNetworkCreateStep | DockerRunStep;

export type Step = DirectiveStep | SetupStep | TrafficStep | ListenerStep | DockerStep;
export type StepKind = Step['kind'];

export interface Scenario {
  file: string;
  title?: string;
  uplink?: UplinkStep;
  dns: DnsStep[];
  /** Every `@capture` target in order; the same interface named twice is kept once. */
  captures: CaptureTarget[];
  /** Every line that is not blank or a comment, directives included, in file order. */
  steps: Step[];
  /** Names of `ip netns add`, in order. */
  namespaces: string[];
  /** True when a docker line is present (lab needs a Docker engine for it). */
  usesDocker: boolean;
}
