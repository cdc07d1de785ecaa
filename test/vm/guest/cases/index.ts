// Every area of the in-guest suite, in the order they run. Add an area: a file in this folder
// exporting a VmArea, listed here (test/vm/README.md, "Adding a case").
import type { VmArea } from '../harness';
import { lifecycle } from './lifecycle';

export const AREAS: readonly VmArea[] = [lifecycle];
