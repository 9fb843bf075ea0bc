// The repository conformance suite (test/support/conformance.ts) on mysql; one file per backend so they run in parallel.
import { repositoryConformance } from './support/conformance.js';

repositoryConformance('mysql');
