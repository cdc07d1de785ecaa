// Every area of the in-guest suite, in the order they run. Add an area: a file in this folder
// exporting a VmArea, listed here (test/vm/README.md, "Adding a case").
import type { VmArea } from '../harness';
import { errors } from './errors';
import { events } from './events';
import { fixes19 } from './fixes19';
import { lifecycle } from './lifecycle';
import { overflow } from './overflow';
import { probe } from './probe';
import { processes } from './processes';
import { scenario } from './scenario';
import { v1 } from './v1';
import { web } from './web';

export const AREAS: readonly VmArea[] = [lifecycle, errors, events, overflow, v1, processes, web, probe, fixes19, scenario];
