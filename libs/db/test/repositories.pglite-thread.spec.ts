// The repository conformance suite on embedded PGlite running in a thread of its own (what `switchboard start` uses).
import { repositoryConformance } from './support/conformance.js';

repositoryConformance('pglite-thread');
