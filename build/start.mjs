#!/usr/bin/env node
// npm start's earlier entry: runs build/start.cjs (package.json "start"), so scripts and links
// made to this file keep working. New callers run start.cjs itself, without the ES module loader.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./start.cjs');
