#!/usr/bin/env node
// aMQTT's `user_mgr`, installed with the `amqtt` command (from @amqtt/contrib-auth-db).
import { runUserMgr } from "@amqtt/contrib-auth-db";
import { runAsProcess } from "./command-line.js";

runAsProcess("user_mgr", runUserMgr);
