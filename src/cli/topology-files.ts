import { addTopology, emptyTopology, type Topology } from '../correlate/topology.js';
import { CliError, EXIT_BAD_INPUT } from './exit.js';
import { readInputText } from './captures.js';

export async function loadTopology(files: string[]): Promise<Topology> {
  const topo = emptyTopology();
  for (const file of files) {
    const text = await readInputText(file);
    try {
      addTopology(topo, text, file);
    } catch (err) {
      throw new CliError((err as Error).message, EXIT_BAD_INPUT);
    }
  }
  return topo;
}
