#!/usr/bin/env node
// aMQTT's `topic_mgr` command.
import { runAsProcess } from "./run-as-process.js";
import { runTopicMgr } from "./topic-mgr.js";

runAsProcess("topic_mgr", runTopicMgr);
