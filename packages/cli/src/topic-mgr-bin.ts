#!/usr/bin/env node
// aMQTT's `topic_mgr`, installed with the `amqtt` command (from @amqtt/contrib-auth-db).
import { runTopicMgr } from "@amqtt/contrib-auth-db";
import { runAsProcess } from "./command-line.js";

runAsProcess("topic_mgr", runTopicMgr);
