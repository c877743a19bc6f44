#!/usr/bin/env node
// aMQTT's `user_mgr` command.
import { runAsProcess } from "./run-as-process.js";
import { runUserMgr } from "./user-mgr.js";

runAsProcess("user_mgr", runUserMgr);
