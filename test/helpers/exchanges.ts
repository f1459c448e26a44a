/** The recorded Moodle 4.5.6 exchanges (the simulator's ground truth), looked up by id (no gateway imports). */
import { loadSimulatorData } from '../../runtime/simulator/data.ts';

const ALL = loadSimulatorData().exchanges.exchanges;
type Exchange = (typeof ALL)[number];

/** Recorded exchange #id (throws when there is none). */
export function exchange(id: number): Exchange {
  const found = ALL.find((e) => e.id === id);
  if (!found) throw new Error(`no recorded exchange #${id}`);
  return found;
}

/** What Moodle answered in recorded exchange #id (JSON). */
export const recorded = (id: number) => exchange(id).response_json;

/** Every recorded exchange; each names its token role ('none' when it sent no token). */
export const EXCHANGES = ALL.map(({ token_role, ...rest }) => {
  if (token_role === null) throw new Error(`recorded exchange #${rest.id} has no token_role`);
  return { ...rest, token_role };
});
