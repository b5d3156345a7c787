#!/usr/bin/env node
// Entry point of the `weft` command: hands over to the compiled CLI dispatcher.
import "../dist/src/cli/main.js";
