/** Version of this package's plugins, reported to the registry on (hot) load. */
export const VERSION = '0.1.0';
