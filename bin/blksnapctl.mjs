#!/usr/bin/env node
// blksnapctl from an ES module path (kept for links made to it): runs bin/blksnapctl.cjs, the
// launcher `npm link` installs, which starts the CLI without Node's ES module loader.
import './blksnapctl.cjs';
