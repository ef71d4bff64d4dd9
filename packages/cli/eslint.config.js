import { createConfig } from '@rhizome/eslint-config';

export default createConfig({ layer: 'app' });
