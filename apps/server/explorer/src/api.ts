import { createClient, getRhizomeError, type RhizomeClient } from '@rhizome/client';

const TOKEN_KEY = 'rhizome.explorer.token';
let client: RhizomeClient | undefined;

export function getToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** Keeps the token for this tab only (sessionStorage) and makes the next call use it. */
export function setToken(token: string): void {
  if (token === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
  client = undefined;
}

/** The typed client of the node that served this page, with the token the user entered. */
export function api(): RhizomeClient {
  const token = getToken();
  client ??= createClient({ url: location.origin, ...(token === '' ? {} : { token }) });
  return client;
}

/** The stable code of an API error (e.g. ENTITY_NOT_FOUND), or undefined for anything else. */
export function errorCode(error: unknown): string | undefined {
  return getRhizomeError(error)?.code;
}

/** An error as the API gives it: `CODE: message`. */
export function describeError(error: unknown): string {
  const rhizome = getRhizomeError(error);
  if (rhizome !== undefined) return `${rhizome.code}: ${rhizome.message}`;
  return error instanceof Error ? error.message : String(error);
}

export type Inspection = Awaited<ReturnType<RhizomeClient['explorer']['inspect']['query']>>;
export type InspectedProperty = Inspection['properties'][number];
export type InspectedDelta = InspectedProperty['deltas'][number];
export type Neighbourhood = Awaited<
  ReturnType<RhizomeClient['explorer']['neighbourhood']['query']>
>;
export type EntityPage = Awaited<ReturnType<RhizomeClient['explorer']['entities']['query']>>;
export type PeerList = Awaited<ReturnType<RhizomeClient['peers']['list']['query']>>;
export type Delta = Awaited<ReturnType<RhizomeClient['deltas']['get']['query']>>;

/**
 * Calls `onDelta` for every delta the node stores from now on (the raw stream subscription);
 * `onState` hears whether the stream is up. Returns the unsubscribe function.
 */
export function watchDeltas(
  onDelta: (delta: Delta) => void,
  onState: (state: 'live' | 'connecting' | 'failed', detail?: string) => void,
): () => void {
  onState('connecting');
  const subscription = api().deltas.stream.subscribe(undefined, {
    onStarted: () => onState('live'),
    // Each event is `{ id: <local seq>, data: <delta> }` (resumable with `lastEventId`).
    onData: (event) => onDelta(event.data as Delta),
    onError: (error) => onState('failed', describeError(error)),
    onConnectionStateChange: (state) => {
      if (state.state === 'connecting') onState('connecting');
      else if (state.state === 'pending') onState('live');
    },
  });
  return () => subscription.unsubscribe();
}

/** A small "live" badge for a page that follows the delta stream. */
export function liveState(element: HTMLElement) {
  return (state: 'live' | 'connecting' | 'failed', detail?: string): void => {
    element.dataset['state'] = state;
    element.textContent =
      state === 'live' ? '● live' : state === 'connecting' ? '○ connecting…' : `✕ not live`;
    element.title = detail ?? '';
  };
}
