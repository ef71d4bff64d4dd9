import type { Principal, RhizomeNode } from '@rhizome/api';

/** What the middlewares put on every Hono context. */
export interface ServerEnv {
  Variables: {
    principal: Principal | null;
    requestId: string;
    node: RhizomeNode;
    /** Ends this request's subscription response (tRPC) when the node drops its subscriber. */
    dropStream: (error: unknown) => void;
  };
}
