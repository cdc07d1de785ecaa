// Stand-in for renderer/api while it does not exist (see test/bench/_rendererBuild.ts).
import { createFakeClient } from './fakeApi';

export function getApi() {
  return createFakeClient();
}
